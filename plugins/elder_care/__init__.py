"""Elder care (养老护理): the elder care category and its items, the care assessment and its care
level (which sets the carers' credentials and the price), care plans whose recurring visits
become orders with the same carer preferred, the trial period, carers' visit logs and the family
who reads them. docs/elder-care.md."""
