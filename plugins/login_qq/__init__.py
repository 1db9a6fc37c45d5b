"""Sign in with QQ (QQ互联 QQ Connect, OAuth 2.0 authorization code) with the franchise's own QQ
Connect app: one tap on the sign-in page, the customer's QQ nickname and avatar."""
