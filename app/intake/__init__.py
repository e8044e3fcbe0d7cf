"""The guided intake, "Which care fits me?": a short questionnaire giving a recommendation."""
