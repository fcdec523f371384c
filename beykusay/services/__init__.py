"""Business logic shared by the REST API and the NiceGUI pages."""
