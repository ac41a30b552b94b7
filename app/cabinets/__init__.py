"""The cabinet's own settings: its profile and logos, its collaborators, and the
end of its account. Pure rules (no Flask import) used by app.views.cabinet,
app.views.collaborators and app.views.cabinet_account."""
