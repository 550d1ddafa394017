-- What int_pairs_snapshotted reads of each association's month, as one digest per month and
-- association (docs/performance.md#incremental-builds): the coded pairs of the association's
-- file in force for the month, every column, and the project's code. A window's snapshot of an
-- association's pairs reads nothing else, so an unchanged digest keeps its rows.
select
    period as month,
    association_code,
    {{ inputs_digest(star_except('int_pairs_coded', []).split(', ')) }} as inputs_digest
from {{ ref('int_pairs_coded') }}
group by period, association_code
