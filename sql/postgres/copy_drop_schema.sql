-- {copy}: the copy's schema, quoted.
drop schema {copy} cascade
