"""Running the platform in production: scheduled jobs (``schedule``), health endpoints
(``health``), backups (``backup``), and the sysadmin page and commands that show them."""
