-- What int_pairs_snapshotted reads of each association's month, as one digest per month and
-- association (docs/performance.md#incremental-builds): the coded pairs of the association's
-- file in force for the month, every column, and the project's code. A window's snapshot of an
-- association's pairs reads nothing else, so an unchanged digest keeps its rows.
{%- set pair_columns = star_except('int_pairs_coded', []).split(', ') %}
select
    period as month,
    association_code,
    md5('{{ var("sources_fingerprint") }}|' || {{ hash_sum(pair_columns) }}) as inputs_digest
from {{ ref('int_pairs_coded') }}
group by period, association_code
