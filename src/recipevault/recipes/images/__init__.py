"""Recipe images: uploads, their WebP renditions, and the addresses they are served at."""
