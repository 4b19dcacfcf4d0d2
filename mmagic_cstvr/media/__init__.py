"""Media IO through ffmpeg alone: probing files, decoding and encoding frames through pipes, and
reading footage (video files, frame folders) for training and evaluation."""
