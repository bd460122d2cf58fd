"""One compiler per filter input: each turns a `*Where` into one SQL boolean expression, with the
viewer's visibility folded in, so lists, counts and bulk mutations touch exactly the same rows."""
