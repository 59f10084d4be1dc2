"""Chapter 8's CPU-and-I/O workload: hash a password with bcrypt, then save the hash."""
