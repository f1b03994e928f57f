"""allauth's account adapter, for the messages allauth raises itself (a wrong password, too many tries…)."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": "The e-mail address or password is not right. Check both and try again, "
        "or reset your password.",
        "email_taken": "There is already an account with this e-mail address: sign in, or reset your password.",
        "enter_current_password": "Enter your current password",
        "incorrect_password": "That is not your current password",
        "too_many_login_attempts": "Too many tries to sign in with this e-mail address. Wait a few minutes, "
        "then try again, or reset your password.",
        "rate_limited": "Too many tries from your connection. Wait a minute, then try again.",
    }
