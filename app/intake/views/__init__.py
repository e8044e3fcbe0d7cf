"""The intake's pages ("Which care fits me?")."""
