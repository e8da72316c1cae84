SERVICE = "notifications"  # the service's name: its source urn:hubnet:service:notifications, its consumer groups
