"""Signing up: a Django user with a username, an e-mail address (for password resets) and a
password checked by AUTH_PASSWORD_VALIDATORS. Logging in, out and password resets are Django's
own views (django.contrib.auth.urls) with the templates in templates/registration/."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=True, help_text="Where a password reset link is sent; never shown to others."
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address exists; log in or "
                                        "reset its password.")
        return email


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_OPEN:
        raise Http404("Sign-up is closed here; ask an administrator for an account.")
    if request.user.is_authenticated:
        return redirect("planner:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Start with a new scenario.")
        return redirect("planner:scenario-new")
    return render(request, "registration/signup.html", {"form": form})
