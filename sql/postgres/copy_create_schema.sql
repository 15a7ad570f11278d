-- {copy}: the copy's schema, quoted.
create schema {copy}
