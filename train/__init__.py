"""Training, evaluation and dataset tools for pix2pix. Imports model/, never the app."""
