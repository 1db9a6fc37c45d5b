"""The console's customers (list, a customer's page, account states) and the customer's own
"close my account": a flow over accounts, orders, payments, reviews, support, promotions and
marketing."""
