"""WeChat sign-in: inside WeChat, on a computer (QR) and in the mini-program."""
