"""Getting recipes out: a versioned zip of JSON and images, or a CSV file."""
