"""Attachments: what a file is (sniffing), where its bytes live (FileStore), its tables."""
