{#- A sum of floats that does not depend on the order the rows are added in: each value as a
    decimal of 12 decimals, summed exactly. Summed as floats, DuckDB's threads add the rows in
    no fixed order, and a rebuild from the same files moved a total's last binary digits
    (on L, MIS PE score totals: 21844.444444444438, then 21844.444444444445; FTE totals:
    566.9000000000003, then 566.9000000000002), which the publication gate's digests
    and the approved months' revisions would read as a change. A decimal: cast the result
    back where a float is wanted. -#}
{% macro exact_sum(number_sql) -%}
    sum(cast({{ number_sql }} as decimal(38, 12)))
{%- endmacro %}
