"""Everything inside one merchant's schema: store, catalog, checkout, orders, payments."""
