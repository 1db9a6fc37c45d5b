"""The sign-in card answers every refusal with itself, the message next to what caused it: as an
htmx fragment (swapped in place) and as a whole page for a plain form post."""

from __future__ import annotations

import re

import pytest

from platform_core.testing.factories import post_form, with_csrf

PHONE, E164 = "13800138000", "+8613800138000"
HX = {"HX-Request": "true"}


@pytest.fixture
def browser_a(client_a):
    return with_csrf(client_a)


@pytest.mark.parametrize("headers", [HX, {}], ids=["htmx", "plain"])
async def test_a_bad_phone_is_marked_on_the_phone_field(browser_a, sms, headers):
    answer = await post_form(browser_a, "/account/sign-in/code", {"phone": "12345"}, headers=headers)
    assert answer.status_code == 400
    assert 'id="field-phone-error"' in answer.text and "Enter a valid mobile number." in answer.text
    assert ("<html" in answer.text) is (not headers)  # a plain post gets the page, htmx the card
    assert 'value="12345"' in answer.text  # what was typed stays


async def test_a_wrong_code_is_marked_on_the_code_field_and_the_phone_is_kept(browser_a, sms):
    await post_form(browser_a, "/account/sign-in/code", {"phone": PHONE}, headers=HX)
    wrong = "000000" if sms.code_for(E164) != "000000" else "111111"
    answer = await post_form(browser_a, "/account/sign-in/verify", {"phone": PHONE, "code": wrong}, headers=HX)
    assert answer.status_code == 400
    assert 'id="field-code-error"' in answer.text and "The code is not correct." in answer.text
    assert f'name="phone" value="{PHONE}"' in answer.text


async def test_asking_again_too_soon_counts_down_the_wait_under_the_resend_button(browser_a, sms):
    sent = await post_form(browser_a, "/account/sign-in/code", {"phone": PHONE}, headers=HX)
    # The code step says when a new code may be asked for, from the server's own limit.
    assert re.search(r'data-countdown="60"', sent.text)
    again = await post_form(browser_a, "/account/sign-in/code", {"phone": PHONE, "resend": "1"}, headers=HX)
    assert again.status_code == 429
    seconds = int(again.headers["retry-after"])
    assert 0 < seconds <= 60
    assert f'data-countdown="{seconds}"' in again.text
    assert f"Please wait {seconds} seconds before requesting another code." in again.text
    assert 'name="code"' in again.text  # still the code step: the code already sent is good
    assert len(sms.sent_to(E164)) == 1


async def test_asking_too_soon_from_the_phone_step_offers_the_code_step(browser_a, sms):
    await post_form(browser_a, "/account/sign-in/code", {"phone": PHONE})
    again = await post_form(browser_a, "/account/sign-in/code", {"phone": PHONE})
    assert again.status_code == 429 and "Please wait" in again.text
    assert 'name="have_code"' in again.text


async def test_someone_with_a_code_goes_to_the_code_step_without_a_new_one(browser_a, sms):
    await post_form(browser_a, "/account/sign-in/code", {"phone": PHONE})
    code = sms.code_for(E164)
    step = await post_form(browser_a, "/account/sign-in/code", {"phone": PHONE, "have_code": "1"}, headers=HX)
    assert step.status_code == 200 and 'name="code"' in step.text and "138****8000" in step.text
    assert len(sms.sent_to(E164)) == 1
    signed_in = await post_form(browser_a, "/account/sign-in/verify", {"phone": PHONE, "code": code})
    assert signed_in.status_code == 303


async def test_the_code_step_for_a_bad_phone_stays_on_the_phone_step(browser_a, sms):
    answer = await post_form(browser_a, "/account/sign-in/code", {"phone": "12", "have_code": "1"}, headers=HX)
    assert answer.status_code == 400 and 'id="field-phone-error"' in answer.text and 'name="code"' not in answer.text


async def test_too_many_checks_count_down_on_the_code_field_with_sign_in_held(browser_a, sms):
    await post_form(browser_a, "/account/sign-in/code", {"phone": PHONE})
    answers = [await post_form(browser_a, "/account/sign-in/verify", {"phone": PHONE, "code": "12345x"}, headers=HX)
               for _ in range(16)]
    assert [a.status_code for a in answers[:15]] == [400] * 15
    refused = answers[15]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    # The wait stands where the code is typed, and sign-in.js holds the button until it is over.
    assert re.search(r'data-countdown="\d+"[^>]*data-countdown-disables', refused.text)
    assert "Too many attempts. Try again in" in refused.text and 'name="code"' in refused.text
