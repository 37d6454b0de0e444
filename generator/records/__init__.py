"""The person behind each row: names, places, contacts, dates, NIR and GP, as whole arrays."""
