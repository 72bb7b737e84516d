"""Registration: a new account and the personal household it starts with, made together."""
