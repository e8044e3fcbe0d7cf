"""The page toolkit: @page (access rule per page) and the template filters."""
