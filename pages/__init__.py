"""NiceGUI pages: landing, login/register, chat, settings."""
