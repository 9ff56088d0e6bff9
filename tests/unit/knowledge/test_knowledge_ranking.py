"""Segmentation and BM25 ranking: domain words stay whole, synonyms meet, rare words weigh more, scopes filter."""

from __future__ import annotations

import math

from kefu_knowledge.domain.bm25 import Index
from kefu_knowledge.domain.ranking import ARTICLE, CASE, Ranking
from kefu_knowledge.domain.segment import Segmenter, WordLists

SEG = Segmenter()


def test_domain_words_stay_whole_and_particles_are_dropped() -> None:
    terms = SEG.terms("我家的产权证什么时候能办好了吗？")
    assert "产权证" in terms
    assert not {"的", "了", "吗", "我家", "什么"} & set(terms)
    assert not [t for t in terms if not t.strip() or t in "？，。"]


def test_variants_become_one_term_in_articles_and_queries_alike() -> None:
    assert "产权证" in SEG.terms("房本") and "产权证" in SEG.terms("不动产权证")
    assert "漏水" in SEG.terms("卫生间渗水")
    assert "物业费" in SEG.terms("物业服务费怎么交")


def test_the_version_changes_with_the_word_lists() -> None:
    lists = WordLists.default()
    other = WordLists(lists.words + ("人防车位",), lists.synonyms, lists.stopwords)
    assert other.version != lists.version == SEG.version


def test_bm25_prefers_rare_terms_and_saturates_repetition() -> None:
    index = Index()
    index.put("a", {"维修": 1, "地暖": 1})
    index.put("b", {"维修": 1})
    index.put("c", {"维修": 1, "外墙": 1})
    assert index.idf("地暖") > index.idf("维修")
    assert [h.doc_id for h in index.search(["地暖", "维修"], 3)][0] == "a"
    index.put("d", {"地暖": 10})
    index.put("e", {"地暖": 1})
    scores = index.scores(["地暖"])
    assert scores["d"] < 10 * scores["e"], "ten times the word is not ten times as relevant"


def test_bm25_scores_match_the_formula() -> None:
    index = Index()
    index.put("x", {"t": 2, "u": 2})
    index.put("y", {"u": 1})
    avgdl, n = 2.5, 2
    idf = math.log(1 + (n - 1 + 0.5) / (1 + 0.5))
    expected = idf * 2 * 2.2 / (2 + 1.2 * (1 - 0.75 + 0.75 * 4 / avgdl))
    assert math.isclose(index.scores(["t"])["x"], expected)


def test_replacing_and_removing_a_document_updates_the_postings() -> None:
    index = Index()
    index.put("a", {"漏水": 1})
    index.put("a", {"地暖": 1})
    assert index.scores(["漏水"]) == {} and "a" in index.scores(["地暖"])
    index.remove("a")
    assert len(index) == 0 and index.postings == {}


def article(doc_id: str, question: str, answer: str, projects: list[str] | None = None, **extra) -> dict:
    return {"_id": doc_id, "question": question, "answer": answer, "tags": [], "projects": projects or [],
            "status": "active", "version": 1, **extra}


def test_search_finds_the_answering_article_first_and_honours_project_scope_and_retirement() -> None:
    r = Ranking(SEG)
    r.apply(ARTICLE, article("roof", "屋面防水的保修期是多久？", "屋面防水工程保修5年，自交付之日起算。"))
    r.apply(ARTICLE, article("fee", "物业费怎么交？", "到物业服务中心或线上缴纳物业服务费。"))
    r.apply(ARTICLE, article("park", "人防车位能租吗？", "只租不售。", projects=["滨江花园"]))
    assert [f.id for f in r.search("楼顶漏水保修几年", 2)][0] == "roof"
    assert [f.id for f in r.search("物业服务费在哪交", 1)] == ["fee"]
    assert [f.id for f in r.search("人防车位", 3, project="滨江花园")] == ["park"]
    assert r.search("人防车位", 3, project="江南府") == []
    r.apply(ARTICLE, {**article("fee", "物业费怎么交？", ""), "status": "retired", "version": 2})
    assert r.search("物业费", 3) == []


def test_department_staff_see_their_departments_cases_and_promoted_cases_rank_higher() -> None:
    r = Ranking(SEG)
    case = {"problem": "地暖不热", "resolution": "清洗分水器", "status": "candidate", "version": 1}
    r.apply(CASE, {**case, "_id": "k1", "department": "engineering"})
    r.apply(CASE, {**case, "_id": "k2", "department": "property"})
    assert {f.id for f in r.search("地暖不热", 5)} == {"k1", "k2"}
    assert [f.id for f in r.search("地暖不热", 5, department="property")] == ["k2"]
    r.apply(CASE, {**case, "_id": "k1", "department": "engineering", "status": "promoted", "version": 2})
    first, second = r.search("地暖不热", 5)
    assert first.id == "k1" and first.score > second.score
    assert [f.type for f in r.search("地暖", 5, types=(ARTICLE,))] == []
