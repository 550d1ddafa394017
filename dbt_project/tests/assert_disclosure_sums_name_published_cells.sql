-- Every member of a disclosure sum names cells that are published: a member that matches
-- none (a misspelt breakdown value, a renamed indicator) would silently protect nothing.
-- (Before any file, nothing is published: nothing to check.)
select sums.*
from {{ ref('disclosure_sums') }} as sums
where exists (select 1 from {{ ref('fct_indicators') }})
and not exists (
    select 1
    from {{ ref('fct_indicators') }} as cells
    where cells.indicator_code = sums.indicator_code
        and cells.breakdown = sums.breakdown
        and cells.breakdown_value is not distinct from sums.breakdown_value
)
