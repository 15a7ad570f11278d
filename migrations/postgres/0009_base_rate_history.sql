-- Workers' base rates over time (docs/rules.md K1): pay for a piece of time uses the rate in
-- force on its local date, so a pay rise never recosts the time before it. The rate each worker
-- has now becomes their rate from the beginning (1900-01-01), which keeps every stored cost as
-- it is. worker.base_rate_centipence stays: it is what the last workers file said.
create table worker_base_rate (
    worker_id text not null references worker (worker_id),
    effective_from date not null,
    effective_to date,
    base_rate_centipence bigint not null check (base_rate_centipence >= 0),
    primary key (worker_id, effective_from),
    check (effective_to is null or effective_to >= effective_from)
);
insert into worker_base_rate (worker_id, effective_from, effective_to, base_rate_centipence)
select worker_id, date '1900-01-01', null, base_rate_centipence from worker;

-- The warnings after every import and night sum unpriced time; this keeps that a look at the
-- few unpriced rows rather than a pass over the whole ledger.
create index allocation_unpriced on allocation (local_date) where unpriced;
