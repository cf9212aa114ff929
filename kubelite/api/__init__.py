"""Pure API machinery: resource table, errors, validation, defaults, selectors, patches."""
