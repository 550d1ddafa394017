-- depends_on: {{ ref('int_pairs_snapshotted') }}
-- The (month, association) digests int_pairs_snapshotted was last built from: built after it,
-- so a build that fails before it leaves the previous record, and the next build redoes every
-- association's month changed since (macros/incremental.sql reads it by name).
select month, association_code, inputs_digest
from {{ ref('int_pair_month_inputs') }}
