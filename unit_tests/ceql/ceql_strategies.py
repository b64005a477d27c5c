"""Hypothesis strategies that build CEQL trees from given fields, values and LIKE patterns."""

from hypothesis import strategies as st

from source_sendoso.ceql import And, Comparison, In, IsNull, Like, Or, Text

OPERATORS = ["=", "!=", ">", ">=", "<", "<="]


def predicates(fields, values, like_texts, max_in=4):
    """Every kind of predicate on these fields and values."""
    return st.one_of(
        st.builds(Comparison, fields, st.sampled_from(OPERATORS), values),
        st.builds(Like, fields, like_texts.map(Text)),
        st.builds(In, fields, st.lists(values, min_size=1, max_size=max_in).map(tuple)),
        st.builds(IsNull, fields, st.booleans()),
    )


def expressions(leaves, max_leaves=8):
    """Random trees of AND/OR over these predicates."""
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
            st.lists(children, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
        ),
        max_leaves=max_leaves,
    )


# Text shaped like the date forms, valid or not (month 13, minute 69, offset +29:60...).
date_like_texts = st.builds(
    lambda date, sep, time, fraction, offset: date + (sep + time + fraction + offset if sep else ""),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
    st.sampled_from(["", "T", " "]),
    st.from_regex(r"[0-2][0-9]:[0-6][0-9]:[0-6][0-9]", fullmatch=True),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,9}", fullmatch=True)),
    st.one_of(st.sampled_from(["", "Z"]), st.from_regex(r"[+-][0-2][0-9]:?[0-6][0-9]", fullmatch=True)),
)
