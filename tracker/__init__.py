"""Keep the records: clients, orders, issued workbooks, returns and credited hours."""
