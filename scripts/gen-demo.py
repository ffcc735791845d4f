#!/usr/bin/env python3
"""gen-demo.py - writes config/demo/*.csv, the Izumo demo data set (deterministic).

Published figures (the seed report of Izumo City, end of FY2023) are reproduced exactly: 61
measures split into 105 initiatives, 82 on schedule / 9 delayed / 14 stalled with the default
rules, 14 split by primary reason cost 5 / planning 5 / context 4, the KPIs' published values, the
five public-private projects and the six roadmap additions. Everything at item level (titles of
measures and initiatives, milestones, budgets, progress) is illustrative: see config/demo/README.md.

Usage: scripts/gen-demo.py [OUTDIR]   (default: config/demo next to this script's folder)
"""
import csv
import math
import os
import random
import sys

# Each measure: (code, title, area, [initiatives]); each initiative: (title, departments, fate).
# Fates (FY2023 survey, default rules): o on track; o0 on track although not yet decided (started
# less than a year ago); onr on track, nothing planned yet and no progress report (not_reported);
# d delayed; c / cp / cx stalled with primary reason cost (cp: also planning, cx: also context);
# p / px stalled, primary planning (px: also context); x stalled, context; xn context, and the
# report left actual_progress empty (not_reported).
A1, A2, A3 = "市民サービスのデジタル化", "行政のデジタル化", "地域社会のデジタル化"
MEASURES = [
    ("1-1", "行政手続のオンライン化", A1, [
        ("電子申請システムによる申請手続のオンライン化", "情報政策課", "o"),
        ("オンライン申請対象手続の拡充", "情報政策課、総務課", "o")]),
    ("1-2", "マイナンバーカードの普及促進", A1, [
        ("マイナンバーカード出張申請受付の実施", "市民課", "o"),
        ("マイナンバーカード休日交付窓口の開設", "市民課", "o")]),
    ("1-3", "キャッシュレス決済の導入", A1, [
        ("窓口手数料のキャッシュレス決済導入", "市民課、会計課", "c"),
        ("公共施設使用料のキャッシュレス化", "会計課", "d")]),
    ("1-4", "窓口業務の改善", A1, [
        ("窓口案内・番号発券システムの導入", "市民課", "o"),
        ("おくやみコーナーの設置", "市民課、保険年金課", "o")]),
    ("1-5", "コンビニ交付サービスの拡充", A1, [
        ("証明書コンビニ交付の対象拡大", "市民課、税務課", "o")]),
    ("1-6", "市ホームページの利便性向上", A1, [
        ("市ホームページのリニューアル", "広報課", "o"),
        ("ウェブアクセシビリティの確保", "広報課", "o")]),
    ("1-7", "SNSを活用した情報発信", A1, [
        ("LINE公式アカウントによる情報発信", "広報課", "o")]),
    ("1-8", "オープンデータの推進", A1, [
        ("オープンデータカタログサイトの運営", "情報政策課", "o"),
        ("公開データセットの拡充", "情報政策課", "o")]),
    ("1-9", "デジタルデバイド対策", A1, [
        ("高齢者向けスマホ教室の開催", "情報政策課、高齢者福祉課", "o"),
        ("デジタル活用支援員の育成", "情報政策課", "d")]),
    ("1-10", "子育て支援サービスのデジタル化", A1, [
        ("母子健康手帳アプリの導入", "子ども政策課、健康増進課", "o"),
        ("保育所入所申請のオンライン化", "保育幼稚園課", "o")]),
    ("1-11", "医療・介護情報の連携", A1, [
        ("医療・介護施設の情報共有システムの運用", "医療介護連携課", "o"),
        ("在宅医療・介護連携の情報基盤整備", "医療介護連携課", "o")]),
    ("1-12", "健康づくりのデジタル化", A1, [
        ("健康ポイントアプリの導入", "健康増進課", "p"),
        ("特定健診のウェブ予約", "健康増進課", "o")]),
    ("1-13", "図書館サービスのデジタル化", A1, [
        ("図書館蔵書検索・予約のスマートフォン対応", "出雲中央図書館", "o")]),
    ("1-14", "施設予約のオンライン化", A1, [
        ("公共施設予約システムの導入", "文化スポーツ課", "cx"),
        ("体育施設の空き状況の公開", "文化スポーツ課", "o")]),
    ("1-15", "公金収納のデジタル化", A1, [
        ("市税のスマートフォン決済対応", "収納課", "o"),
        ("地方税統一QRコードへの対応", "収納課、税務課", "o")]),
    ("1-16", "AIチャットボットによる問合せ対応", A1, [
        ("AIチャットボットの導入", "広報課、情報政策課", "c")]),
    ("1-17", "防災情報の伝達手段の多様化", A1, [
        ("防災アプリによる避難情報の配信", "防災安全課", "o"),
        ("防災行政無線のデジタル化", "防災安全課", "o")]),
    ("1-18", "避難所運営のデジタル化", A1, [
        ("避難所受付のデジタル化", "防災安全課、福祉推進課", "px")]),
    ("1-19", "証明書等の電子交付", A1, [
        ("各種証明書の電子交付の検討", "市民課、情報政策課", "p")]),
    ("1-20", "外国人住民への多言語対応", A1, [
        ("多言語翻訳機の窓口配置", "市民活動支援課", "o"),
        ("多言語による生活情報の配信", "市民活動支援課", "o")]),
    ("2-1", "RPA・AI-OCRの活用", A2, [
        ("RPAによる定型業務の自動化", "情報政策課", "o"),
        ("AI-OCRによる紙帳票のデータ化", "情報政策課", "o")]),
    ("2-2", "ペーパーレス会議の推進", A2, [
        ("タブレット端末によるペーパーレス会議", "総務課、情報政策課", "o"),
        ("庁議資料の電子化", "政策企画課", "o")]),
    ("2-3", "電子決裁の導入", A2, [
        ("文書管理・電子決裁システムの導入", "総務課", "o"),
        ("電子決裁率の向上", "総務課", "o")]),
    ("2-4", "文書管理のデジタル化", A2, [
        ("保存文書の電子化", "総務課", "d")]),
    ("2-5", "テレワーク環境の整備", A2, [
        ("職員テレワーク環境の整備", "人事課、情報政策課", "o"),
        ("テレワーク勤務制度の運用", "人事課", "o")]),
    ("2-6", "Web会議の活用", A2, [
        ("Web会議システムの全庁導入", "情報政策課", "o")]),
    ("2-7", "自治体情報システムの標準化・共通化", A2, [
        ("基幹業務システムの標準化対応", "情報政策課", "x"),
        ("標準準拠システムへの移行計画の策定", "情報政策課", "o")]),
    ("2-8", "ガバメントクラウドへの移行", A2, [
        ("ガバメントクラウド移行の検証", "情報政策課", "x")]),
    ("2-9", "情報セキュリティ対策の強化", A2, [
        ("情報セキュリティポリシーの改定", "情報政策課", "o"),
        ("職員情報セキュリティ研修の実施", "情報政策課、人事課", "o")]),
    ("2-10", "職員のデジタル人材育成", A2, [
        ("デジタル推進リーダーの育成", "人事課、情報政策課", "o"),
        ("外部デジタル人材の登用", "人事課", "o")]),
    ("2-11", "庁内ネットワークの最適化", A2, [
        ("庁内無線LANの整備", "情報政策課", "o")]),
    ("2-12", "業務プロセスの見直し（BPR）", A2, [
        ("業務量調査に基づく業務改善", "行政改革推進課", "o"),
        ("窓口業務のBPR", "行政改革推進課、市民課", "d")]),
    ("2-13", "電子契約の導入", A2, [
        ("電子契約サービスの導入", "契約検査課", "p")]),
    ("2-14", "財務会計システムの高度化", A2, [
        ("財務会計システムの更新", "財政課", "o"),
        ("請求書の電子受付", "会計課", "o")]),
    ("2-15", "統計データの利活用", A2, [
        ("EBPM推進のための統計データ整備", "政策企画課", "o")]),
    ("2-16", "GISの全庁活用", A2, [
        ("統合型GISの導入", "情報政策課、都市計画課", "o"),
        ("地図情報のオープンデータ化", "都市計画課", "o")]),
    ("2-17", "議会のデジタル化", A2, [
        ("議会資料のペーパーレス化", "議会事務局", "o")]),
    ("2-18", "学校のICT環境整備（GIGAスクール）", A2, [
        ("児童生徒1人1台端末の活用", "学校教育課", "o"),
        ("学校ネットワークの増強", "学校教育課", "o")]),
    ("2-19", "校務の情報化", A2, [
        ("統合型校務支援システムの導入", "学校教育課", "o"),
        ("学校と保護者の連絡のデジタル化", "学校教育課", "o")]),
    ("2-20", "公共施設管理のデジタル化", A2, [
        ("公共施設台帳のデータベース化", "財産管理課", "o")]),
    ("2-21", "庁内ヘルプデスクの整備", A2, [
        ("情報システム問合せ窓口の一元化", "情報政策課", "o")]),
    ("2-22", "コピー機使用の削減", A2, [
        ("コピー・印刷枚数の削減", "総務課", "o"),
        ("複合機の集約配置", "総務課、財産管理課", "o")]),
    ("3-1", "サテライトオフィスの誘致", A3, [
        ("サテライトオフィス「Izumonomad」の開設", "商工振興課", "o"),
        ("IT企業の誘致活動", "商工振興課", "o")]),
    ("3-2", "デジタル人材の誘致・育成", A3, [
        ("東欧からの高度IT人材誘致", "商工振興課", "o"),
        ("市内企業とIT人材のマッチング", "商工振興課", "o")]),
    ("3-3", "地域企業のDX支援", A3, [
        ("中小企業のデジタル化補助", "商工振興課", "o"),
        ("DXセミナーの開催", "商工振興課", "o")]),
    ("3-4", "創業支援のデジタル化", A3, [
        ("出雲市版創業エコシステムの計画立案", "商工振興課", "o0"),
        ("オンライン創業相談の実施", "商工振興課", "o")]),
    ("3-5", "スマート農業の推進", A3, [
        ("ドローンによる農薬散布の支援", "農業振興課", "o"),
        ("農業用水管理の遠隔化", "農業振興課", "o")]),
    ("3-6", "観光DXの推進", A3, [
        ("観光アプリによる周遊促進", "観光課", "o"),
        ("観光施設のキャッシュレス化", "観光課", "o")]),
    ("3-7", "地域公共交通のデジタル化", A3, [
        ("デマンド交通の予約システム導入", "交通政策課", "p"),
        ("バスロケーションシステムの導入", "交通政策課", "d")]),
    ("3-8", "道路・河川管理のDX", A3, [
        ("道路パトロールのDX化", "道路河川維持課", "o0"),
        ("道路損傷の市民通報アプリ", "道路河川維持課", "o")]),
    ("3-9", "官民連携による地域課題解決", A3, [
        ("地域課題解決検討プロジェクトの運営", "情報政策課", "o"),
        ("不登校児童生徒の個別ニーズへの支援策の検討", "児童生徒支援課", "o0")]),
    ("3-10", "ビッグデータの利活用", A3, [
        ("ビッグデータ・オープンデータの利活用実証", "情報政策課", "o"),
        ("人流データの分析", "政策企画課", "o")]),
    ("3-11", "地域ポイント・電子地域通貨の検討", A3, [
        ("地域ポイント制度の検討", "政策企画課、商工振興課", "cp")]),
    ("3-12", "光ファイバ網等の通信基盤整備", A3, [
        ("中山間地域の光ファイバ網整備", "情報政策課", "x")]),
    ("3-13", "公衆無線LANの整備", A3, [
        ("公共施設への公衆無線LAN整備", "情報政策課", "c"),
        ("観光拠点の無線LAN整備", "観光課", "o")]),
    ("3-14", "地域のICT人材育成（プログラミング教育）", A3, [
        ("小中学校のプログラミング教育", "学校教育課", "o"),
        ("子ども向けプログラミング講座", "生涯学習課", "onr")]),
    ("3-15", "高齢者の見守りのデジタル化", A3, [
        ("IoT機器による高齢者見守り", "高齢者福祉課", "xn"),
        ("緊急通報システムの更新", "高齢者福祉課", "d")]),
    ("3-16", "不登校児童生徒への支援のデジタル化", A3, [
        ("オンライン学習支援の実施", "児童生徒支援課", "o"),
        ("学びの多様化に向けたICT活用", "児童生徒支援課", "d")]),
    ("3-17", "環境分野のデジタル化", A3, [
        ("ごみ分別アプリの導入", "環境政策課", "o"),
        ("公共施設の電力使用量の見える化", "環境政策課", "o")]),
    ("3-18", "文化・スポーツ施設のデジタル活用", A3, [
        ("文化財のデジタルアーカイブ化", "文化財課", "d"),
        ("スポーツ施設の利用予約のオンライン化", "文化スポーツ課", "o")]),
    ("3-19", "市民活動のデジタル化支援", A3, [
        ("コミュニティセンターのWi-Fi整備", "市民活動支援課", "o"),
        ("自治会向けデジタル回覧板の実証", "市民活動支援課", "d")]),
]

# The six roadmap additions of the seed report (start in FY2024, after the FY2023 survey).
ADDITIONS = [
    ("3-11", "出雲市版デジタル地域通貨導入事業", "政策企画課、商工振興課、情報政策課"),
    ("3-6", "観光動向の分析システム（DMP）構築事業", "観光課"),
    ("3-6", "旅行商品販売プラットフォーム構築事業", "観光課"),
    ("1-4", "「書かない」「待たない」窓口の設置", "情報政策課、市民課"),
    ("1-10", "窓口受付管理システムの導入", "子ども政策課"),
    ("1-13", "図書館デジタル化推進事業", "出雲中央図書館"),
]

REPORT_TEXTS = [
    ["2023", "title", "デジタル戦略の進捗状況について", ""],
    ["2023", "theme", "電子申請の推進及び庁内DXの取組", ""],
    ["2023", "paragraph", "電子申請を推進していく環境を整えるため、市民向けにマイナンバーカードの"
     "取得促進やデジタルデバインド対策としてスマホ教室を実施してきた。", ""],
    ["2023", "paragraph", "一方で、庁内向けに、業務効率化に資するRPA等の導入やペーパーレス会議及び"
     "電子決裁の導入を図り、DXの取組を進めてきた。", ""],
    ["2023", "figure", "本市のマイナンバーカード保有率", "mynumber-card"],
    ["2023", "figure", "RPAの活用実績", "rpa-tasks;rpa-departments;rpa-hours"],
    ["2023", "figure", "コピー機使用実績", "copy-count"],
    ["2023", "theme", "サテライトオフィス整備等による企業誘致・外国人デジタル人材の活用", ""],
    ["2023", "paragraph", "令和5年11月、パルメイト出雲1階に、レンタルオフィスとコワーキングスペースを"
     "備えた「Izumonomad」（イズモノマド）を開設した。", ""],
    ["2023", "paragraph", "また、本施設の運営と、東欧からの高度IT人材誘致事業を担う組織として、本市が"
     "出資する株式会社People Cloudを設立した。", ""],
    ["2023", "figure", "Izumonomad（イズモノマド）レンタルオフィス", "izumonomad-rooms"],
    ["2023", "figure", "高度IT人材誘致 採用されたエンジニア", "it-engineers"],
    ["2023", "theme", "官民連携による地域課題解決検討プロジェクト", ""],
    ["2023", "paragraph", "課題テーマに民間事業者から提案を受け、1つ事業が開始し、4つの実証実験を"
     "行っている。", ""],
    ["2023", "projects", "", ""],
    ["2023", "outlook", "出雲市デジタルファースト推進計画の終期である令和7年度末へ向けて、ロードマップに"
     "掲げる取組の更なる推進を図る。特に課題がある取組については、対応策に従い、早期に検討を"
     "実施する。", ""],
    ["2023", "outlook", "また、上記の6つの事業については、新たに「出雲市デジタルファースト推進計画実現"
     "に向けたロードマップ」に追加する。", ""],
    ["2023", "outlook", "なお、本ロードマップは、令和7年度までの計画となっていることから、本年度、"
     "策定する「出雲新話2030」後期基本計画へ盛り込むものとする。", ""],
]

REASON_TEXT = {
    "c": "導入・運用経費に比べて利用が少なく、費用対効果が見込めない。",
    "p": "具体的な実施方法について関係機関との調整に時間を要している。",
    "x": "国の方針の変更により、計画時と前提が変わった。",
}

AS_OF = {"2022": "2023-03-31", "2023": "2024-03-31"}
FY_OF_SURVEY = {"2022": 2022, "2023": 2023}


def ceil_to(x, step):
    return math.ceil(x / step - 1e-9) * step


def fmt(x):
    s = "%.2f" % x
    return s.rstrip("0").rstrip(".") if "." in s else s


def initiative_plan(code, fate, rnd):
    """start_date, due_date, [(fiscal_year, planned_progress, phase)]"""
    if fate == "onr":
        return "2024-01-15", "2026-03-31", [(2023, 0.0, "準備"), (2024, 0.5, "実施"),
                                            (2025, 1.0, "実施")]
    if fate == "o0":
        return "2023-07-01", "2026-03-31", [(2023, 0.2, "検討"), (2024, 0.6, "実証"),
                                            (2025, 1.0, "実施")]
    start_fy = rnd.choice([2021, 2021, 2022]) if fate in ("p", "px", "cp") else \
        rnd.choice([2021, 2021, 2021, 2022, 2022])
    end_fy = rnd.choice([2024, 2025, 2025, 2025])
    n = end_fy - start_fy + 1
    shape = rnd.choice([1.0, 0.8, 1.2])
    ms = []
    for k in range(n):
        v = ((k + 1) / n) ** shape
        v = round(v, 2) if k < n - 1 else 1.0
        phase = "検討" if k == 0 else ("実施" if k < n - 1 else "完了")
        ms.append((start_fy + k, v, phase))
    start = "%d-04-01" % start_fy
    if rnd.random() < 0.08 and fate in ("o", "d"):
        start = ""  # no start date: the line starts on April 1 of the first milestone's FY
    return start, "%d-03-31" % (end_fy + 1), ms


def planned_at(ms, fy):
    for y, v, _ in ms:
        if y == fy:
            return v
    return 0.0 if fy < ms[0][0] else ms[-1][1]


def progress_row(code, survey, fate, ms, start, rnd):
    """A progress.csv row (dict) for the survey, or None when the initiative did not report."""
    fy = FY_OF_SURVEY[survey]
    planned = planned_at(ms, fy)
    row = {"initiative_code": code, "survey_code": survey}
    f = fate
    if survey == "2022":
        # One year earlier: context changes had not happened yet; a few on-track ones were late.
        f = {"x": "d", "xn": "d", "px": "p", "cx": "c", "onr": "skip", "o0": "skip"}.get(fate, fate)
        if f == "o" and int(code.split("-")[1]) % 7 == 3:
            f = "d"
        if f == "d" and int(code.split("-")[1]) % 3 == 0:
            f = "o"
        if f in ("p", "cp") and start == "2022-04-01":
            f = "d" if f == "p" else "c"  # less than a year: still within the planning time
    if f in ("skip", "onr"):
        return None
    if f in ("o", "o0"):
        ratio = rnd.uniform(1.0, 1.2)
        actual = min(1.0, ceil_to(planned * ratio, 0.05))
    elif f == "d":
        ratio = rnd.uniform(0.6, 0.85)
        actual = round(planned * ratio, 2)
    else:
        ratio = rnd.uniform(0.1, 0.4)
        actual = round(planned * ratio, 2)
    row["actual_progress"] = "%d%%" % round(actual * 100) if rnd.random() < 0.3 else fmt(actual)
    if f == "xn":
        row["actual_progress"] = ""
    # Budgets (yen). Cost reasons: benefit well below spending; otherwise well above, or none.
    if f.startswith("c"):
        planned_budget = rnd.choice([8, 12, 15, 24, 30]) * 1_000_000
        spent = int(planned_budget * rnd.uniform(0.7, 1.0) / 1000) * 1000
        row["budget_planned"] = "{:,}".format(planned_budget)
        row["budget_spent"] = "{:,}".format(spent)
        row["expected_benefit"] = "{:,}".format(int(spent * rnd.uniform(0.3, 0.6) / 1000) * 1000)
    elif rnd.random() < 0.45:
        planned_budget = rnd.choice([1, 2, 3, 5, 6, 10, 20]) * 1_000_000
        spent = int(planned_budget * rnd.uniform(0.5, 1.0) / 1000) * 1000
        row["budget_planned"] = "{:,}".format(planned_budget)
        if code.endswith("-2-01") or code == "1-6-02":
            row["budget_spent"] = "0"  # nothing spent yet: cost_benefit is null
            row["expected_benefit"] = "{:,}".format(planned_budget)
        else:
            row["budget_spent"] = "{:,}".format(spent)
            row["expected_benefit"] = "{:,}".format(int(spent * rnd.uniform(1.5, 3.0) / 1000) * 1000)
    planning = f in ("p", "px", "cp")
    row["plan_decided"] = rnd.choice(["いいえ", "no", "0"]) if planning or f == "o0" else \
        rnd.choice(["はい", "yes", "true", "1", "○"])
    context = f in ("x", "xn", "cx", "px")
    row["context_changed"] = rnd.choice(["はい", "true"]) if context else \
        rnd.choice(["いいえ", "false", "×", "0"])
    reasons = [REASON_TEXT[k] for k, on in (("c", f.startswith("c")), ("p", planning),
                                            ("x", context)) if on]
    row["reported_reason"] = "".join(reasons)
    if f == "d":
        row["comment"] = "事業者との調整により当初予定より遅れているが、年度内に追いつく見込み。"
    elif f in ("o", "o0") and actual >= 1:
        row["comment"] = "計画どおり完了した。"
    else:
        row["comment"] = ""
    return row


# The departments (所管課) the initiatives and projects name, by 部 (division) in the order of an
# organisation chart: (division, its reading, [(department, its reading)]). Illustrative: a
# plausible city hall, not Izumo's official chart (the seed report names departments, not their
# 部). Positions are 10, 20, ... in this order, so that a department can be put between two.
DIVISIONS = [
    ("総合政策部", "ソウゴウセイサクブ", [
        ("政策企画課", "セイサクキカクカ"), ("行政改革推進課", "ギョウセイカイカクスイシンカ"),
        ("情報政策課", "ジョウホウセイサクカ"), ("広報課", "コウホウカ"),
        ("交通政策課", "コウツウセイサクカ")]),
    ("総務部", "ソウムブ", [
        ("総務課", "ソウムカ"), ("人事課", "ジンジカ"), ("防災安全課", "ボウサイアンゼンカ"),
        ("契約検査課", "ケイヤクケンサカ"), ("財産管理課", "ザイサンカンリカ")]),
    ("財政部", "ザイセイブ", [
        ("財政課", "ザイセイカ"), ("税務課", "ゼイムカ"), ("収納課", "シュウノウカ")]),
    ("市民文化部", "シミンブンカブ", [
        ("市民課", "シミンカ"), ("保険年金課", "ホケンネンキンカ"),
        ("市民活動支援課", "シミンカツドウシエンカ"), ("文化スポーツ課", "ブンカスポーツカ")]),
    ("健康福祉部", "ケンコウフクシブ", [
        ("福祉推進課", "フクシスイシンカ"), ("高齢者福祉課", "コウレイシャフクシカ"),
        ("医療介護連携課", "イリョウカイゴレンケイカ"), ("健康増進課", "ケンコウゾウシンカ")]),
    ("子ども未来部", "コドモミライブ", [
        ("子ども政策課", "コドモセイサクカ"), ("保育幼稚園課", "ホイクヨウチエンカ")]),
    ("経済環境部", "ケイザイカンキョウブ", [
        ("商工振興課", "ショウコウシンコウカ"), ("観光課", "カンコウカ"),
        ("環境政策課", "カンキョウセイサクカ")]),
    ("農林水産部", "ノウリンスイサンブ", [("農業振興課", "ノウギョウシンコウカ")]),
    ("都市建設部", "トシケンセツブ", [
        ("都市計画課", "トシケイカクカ"), ("道路河川維持課", "ドウロカセンイジカ")]),
    ("教育部", "キョウイクブ", [
        ("学校教育課", "ガッコウキョウイクカ"), ("児童生徒支援課", "ジドウセイトシエンカ"),
        ("生涯学習課", "ショウガイガクシュウカ"), ("文化財課", "ブンカザイカ"),
        ("出雲中央図書館", "イズモチュウオウトショカン")]),
    ("会計管理者", "カイケイカンリシャ", [("会計課", "カイケイカ")]),
    ("議会事務局", "ギカイジムキョク", [("議会事務局", "ギカイジムキョク")]),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "config", "demo")
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(20240331)

    def write(name, header, rows):
        with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            for r in rows:
                w.writerow([r.get(h, "") for h in header] if isinstance(r, dict) else r)

    measures, initiatives, milestones, progress = [], [], [], []
    fates = {}
    for mcode, mtitle, area, inits in MEASURES:
        measures.append([mcode, mtitle, area])
        for k, (title, deps, fate) in enumerate(inits, 1):
            code = "%s-%02d" % (mcode, k)
            fates[code] = fate
            start, due, ms = initiative_plan(code, fate, rnd)
            initiatives.append([code, mcode, title, deps, start.replace("-", "/", 2) if
                                rnd.random() < 0.2 and start else start, due])
            for fy, v, phase in ms:
                milestones.append([code, fy, fmt(v), phase])
            for survey in ("2022", "2023"):
                if survey == "2022" and start and start > AS_OF["2022"]:
                    continue
                row = progress_row(code, survey, fate, ms, start, rnd)
                if row is not None:
                    progress.append(row)
    counters = {}
    for mcode, title, deps in ADDITIONS:
        counters[mcode] = counters.get(mcode, len(next(m[3] for m in MEASURES if m[0] == mcode)))
        counters[mcode] += 1
        code = "%s-%02d" % (mcode, counters[mcode])
        initiatives.append([code, mcode, title, deps, "2024-04-01", "2026-03-31"])
        milestones.append([code, 2024, "0.5", "構築"])
        milestones.append([code, 2025, "1", "運用開始"])

    assert len(measures) == 61, len(measures)
    assert len(initiatives) == 111, len(initiatives)
    counts = {}
    for f in fates.values():
        counts[f] = counts.get(f, 0) + 1
    assert sum(v for k, v in counts.items() if k in ("o", "o0", "onr")) == 82, counts
    assert counts["d"] == 9, counts
    assert counts["c"] + counts["cp"] + counts["cx"] == 5, counts
    assert counts["p"] + counts["px"] == 5, counts
    assert counts["x"] + counts["xn"] == 4, counts

    write("plans.csv", ["code", "title", "period_start", "period_end", "adopted_on",
                        "roadmap_title", "roadmap_adopted_on"],
          [["izumo-digital-first", "出雲市デジタルファースト推進計画", "2021-04-01", "2026-03-31",
            "2021-03-31", "出雲市デジタルファースト推進計画実現に向けたロードマップ",
            "2022-03-31"]])
    departments = [[name, kana, division, division_kana, ""]
                   for division, division_kana, deps in DIVISIONS for name, kana in deps]
    for k, row in enumerate(departments, 1):
        row[4] = str(10 * k)
    named = {d.strip() for i in initiatives for d in i[3].replace(";", "、").split("、")}
    assert named == {row[0] for row in departments}, named ^ {row[0] for row in departments}
    write("departments.csv", ["name", "kana", "division", "division_kana", "position"],
          departments)
    write("measures.csv", ["code", "title", "area"], measures)
    write("initiatives.csv", ["code", "measure_code", "title", "departments", "start_date",
                              "due_date"], initiatives)
    write("milestones.csv", ["initiative_code", "fiscal_year", "planned_progress", "phase"],
          milestones)
    write("surveys.csv", ["code", "as_of", "label"],
          [["2022", "2023-03-31", "令和4年度末"], ["2023", "2024-03-31", "令和5年度末"]])
    write("progress.csv", ["initiative_code", "survey_code", "actual_progress", "budget_planned",
                           "budget_spent", "expected_benefit", "plan_decided", "context_changed",
                           "reported_reason", "comment"], progress)
    # KPIs: the published values of the seed report, with illustrative intermediate observations.
    write("kpis.csv", ["code", "title", "unit", "direction", "baseline_value", "baseline_date",
                       "target_value", "target_date", "initiative_codes"], [
        ["mynumber-card", "マイナンバーカード保有率", "%", "up", "41.4", "2022-04-30", "90",
         "2026-03-31", "1-2-01;1-2-02"],
        ["rpa-tasks", "RPA導入業務数", "業務", "up", "0", "2021-04-01", "100", "2026-03-31",
         "2-1-01"],
        ["rpa-departments", "RPA導入部署数", "部署", "up", "0", "2021-04-01", "35", "2026-03-31",
         "2-1-01"],
        ["rpa-hours", "RPAによる業務時間の短縮", "時間/年", "up", "0", "2021-04-01", "8,000",
         "2026-03-31", "2-1-01"],
        ["copy-count", "コピーカウント数（令和3年度比）", "%", "down", "100", "2022-03-31",
         "50", "2026-03-31", "2-22-01;2-2-01"],
        ["izumonomad-rooms", "Izumonomad レンタルオフィス入居室数", "室", "up", "0", "2023-11-01",
         "7", "2025-03-31", "3-1-01"],
        ["it-engineers", "高度IT人材誘致 市内で採用されたエンジニア数", "人", "up", "0",
         "2023-04-01", "10", "2026-03-31", "3-2-01"],
    ])
    write("kpi_values.csv", ["kpi_code", "date", "value"], [
        ["mynumber-card", "2022-04-30", "41.4"],   # published (令和4年4月)
        ["mynumber-card", "2023-03-31", "66.8"],
        ["mynumber-card", "2024-03-31", "75.2"],
        ["mynumber-card", "2024-10-31", "79.1"],   # published (令和6年10月)
        ["rpa-tasks", "2023-03-31", "52"],
        ["rpa-tasks", "2024-03-31", "88"],          # published
        ["rpa-departments", "2023-03-31", "17"],
        ["rpa-departments", "2024-03-31", "28"],    # published
        ["rpa-hours", "2023-03-31", "3,912"],
        ["rpa-hours", "2024-03-31", "6,841"],       # published
        ["copy-count", "2023-03-31", "88.5"],
        ["copy-count", "2024-03-31", "79.6"],
        ["copy-count", "2024-09-30", "70.3"],       # published: 29.7% less than FY2021
        ["izumonomad-rooms", "2024-03-31", "5"],
        ["izumonomad-rooms", "2024-09-30", "7"],    # published: all 7 rooms let
        ["it-engineers", "2024-03-31", "3"],
        ["it-engineers", "2024-09-30", "6"],        # published
    ])
    # The planning office's text of the FY2023 report (the seed's sections 4 and 7, verbatim).
    write("report_texts.csv", ["survey_code", "kind", "text", "kpi_codes"], REPORT_TEXTS)
    write("projects.csv", ["theme", "department", "stage"], [
        ["医療・介護施設の情報活用", "医療介護連携課", "実用開始"],
        ["ビッグデータ・オープンデータの利活用", "情報政策課", "実証実験中"],
        ["出雲市版創業エコシステムの計画立案", "商工振興課", "実証実験中"],
        ["道路パトロールのDX化", "道路河川維持課", "実証実験中"],
        ["不登校児童生徒の個別ニーズへの支援策", "児童生徒支援課", "実証実験中"],
    ])


if __name__ == "__main__":
    main()
