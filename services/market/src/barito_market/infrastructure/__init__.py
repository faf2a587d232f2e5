"""Infrastructure: asking the provisioner for each group's and showing what it reports."""
