-- What int_mispe_cells_sequenced reads of each youth, as one digest per youth
-- (docs/performance.md#incremental-builds): the youth's scores in every association, and the
-- project's code and seeds. A youth whose digest changed has all its rows rebuilt.
-- A sum of row hashes, not the rows' text aggregated in order: on L (1.8 million rows) 0.2 s
-- against 3 to 6 s. Scores to 9 decimals: a mean's last digits may differ between builds.
select
    youth_key,
    {{ inputs_digest([
        'association_code', 'mis_pe_dimension', 'wave_code', 'wave_order', 'file_period',
        'answered_on', 'answered_period', 'is_favourable', '(score)::numeric(18, 9)',
    ]) }} as inputs_digest
from {{ ref('int_mispe_dimensions_scored') }}
group by youth_key
