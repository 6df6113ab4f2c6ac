"""review-panel as a team service: GitHub events in, review runs and decisions out."""
