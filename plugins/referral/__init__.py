"""Referral: each customer's invite link, code and QR poster; friends bound to their inviter on
sign-up (first touch, never rebound); the inviter's red packet or voucher once the friend's
completed, paid spend reaches the franchise's threshold, the friend's welcome coupon, inviter
levels with privileges, and a fraud review queue. docs/referral.md."""
