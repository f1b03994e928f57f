"""Django's password rules (AUTH_PASSWORD_VALIDATORS) with messages that say what to do, in the site's words."""

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return f"Your password must be at least {self.min_length} characters long"

    def get_help_text(self):
        return f"At least {self.min_length} characters."


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return "Your password is too like your name or e-mail address: choose a different one"

    def get_help_text(self):
        return "Not like your name or e-mail address."


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self):
        return "That password is one of the most common, and easy to guess: choose a different one"

    def get_help_text(self):
        return "Not a common password."


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self):
        return "Your password must have letters or symbols in it, not only numbers"

    def get_help_text(self):
        return "Not only numbers."
