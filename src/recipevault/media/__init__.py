"""Uploaded images: where their files are kept, and the checked WebP renditions made of them."""
