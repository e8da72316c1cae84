"""The staff portal: one partner's workspace in the browser, for staff whose organisation has no system of its own."""
