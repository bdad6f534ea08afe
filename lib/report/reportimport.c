/* reportimport — a published annual report's text → the contract's JSON.
 *
 * Three passes. The text is normalised line by line (width, traditional
 * characters, regional wordings) and split into whitespace-separated tokens;
 * each line's leading non-number tokens are its label. The section headings
 * 二, 三, 四 (and 五, which ends 四) are located by number and keyword. Each
 * table row is then found by a keyword of its official label, searching
 * forward in template order, and its cells read either from the rest of the
 * label's line (a row) or from the lines after it (one cell per line, an
 * empty line being a blank cell). In a tab-separated row an empty field is a
 * blank cell; with spaces a blank must be printed (-, —, /).
 *
 * Reading stays strict where a lenient reader would silently misalign: a
 * number where a row label is sought, a row with too few or too many cells,
 * a fraction in a count are all errors naming the line.
 */
#include "reportimport.h"

#include "htmltext.h"

#include "alloc.h"
#include "buf.h"
#include "template.h"
#include "utf8.h"
#include "money.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- normalisation ----------------------------------------------------- */

/* Traditional → simplified for the characters of the official labels and
 * of the words commonly printed beside their cells (省本級, 辦結數), sorted
 * by code point for bsearch. Not a general converter: names and prose keep
 * whatever they are not covered for, which matching never looks at. */
static const struct t2s_pair {
    uint32_t trad, simp;
} t2s[] = {
    {0x4E26, 0x5E76}, /* 並→并 */
    {0x4F86, 0x6765}, /* 來→来 */
    {0x4FC2, 0x7CFB}, /* 係→系 */
    {0x500B, 0x4E2A}, /* 個→个 */
    {0x50B3, 0x4F20}, /* 傳→传 */
    {0x50F9, 0x4EF7}, /* 價→价 */
    {0x512A, 0x4F18}, /* 優→优 */
    {0x5167, 0x5185}, /* 內→内 */
    {0x5247, 0x5219}, /* 則→则 */
    {0x5283, 0x5212}, /* 劃→划 */
    {0x52D5, 0x52A8}, /* 動→动 */
    {0x52D9, 0x52A1}, /* 務→务 */
    {0x5340, 0x533A}, /* 區→区 */
    {0x53C3, 0x53C2}, /* 參→参 */
    {0x554F, 0x95EE}, /* 問→问 */
    {0x55AE, 0x5355}, /* 單→单 */
    {0x56B4, 0x4E25}, /* 嚴→严 */
    {0x570B, 0x56FD}, /* 國→国 */
    {0x57F7, 0x6267}, /* 執→执 */
    {0x5831, 0x62A5}, /* 報→报 */
    {0x5BE6, 0x5B9E}, /* 實→实 */
    {0x5BE9, 0x5BA1}, /* 審→审 */
    {0x5C07, 0x5C06}, /* 將→将 */
    {0x5C08, 0x4E13}, /* 專→专 */
    {0x5C0D, 0x5BF9}, /* 對→对 */
    {0x5C0E, 0x5BFC}, /* 導→导 */
    {0x5C46, 0x5C4A}, /* 屆→届 */
    {0x5C64, 0x5C42}, /* 層→层 */
    {0x5C6C, 0x5C5E}, /* 屬→属 */
    {0x5E33, 0x8D26}, /* 帳→账 */
    {0x5E63, 0x5E01}, /* 幣→币 */
    {0x5E7E, 0x51E0}, /* 幾→几 */
    {0x5EE2, 0x5E9F}, /* 廢→废 */
    {0x5EE3, 0x5E7F}, /* 廣→广 */
    {0x5EF3, 0x5385}, /* 廳→厅 */
    {0x5F37, 0x5F3A}, /* 強→强 */
    {0x5F8C, 0x540E}, /* 後→后 */
    {0x5F9E, 0x4ECE}, /* 從→从 */
    {0x5FA9, 0x590D}, /* 復→复 */
    {0x61C9, 0x5E94}, /* 應→应 */
    {0x6236, 0x6237}, /* 戶→户 */
    {0x63A1, 0x91C7}, /* 採→采 */
    {0x64A5, 0x62E8}, /* 撥→拨 */
    {0x64DA, 0x636E}, /* 據→据 */
    {0x6578, 0x6570}, /* 數→数 */
    {0x65BC, 0x4E8E}, /* 於→于 */
    {0x6642, 0x65F6}, /* 時→时 */
    {0x66F8, 0x4E66}, /* 書→书 */
    {0x6703, 0x4F1A}, /* 會→会 */
    {0x6771, 0x4E1C}, /* 東→东 */
    {0x689D, 0x6761}, /* 條→条 */
    {0x696D, 0x4E1A}, /* 業→业 */
    {0x69CB, 0x6784}, /* 構→构 */
    {0x6A5F, 0x673A}, /* 機→机 */
    {0x6AA2, 0x68C0}, /* 檢→检 */
    {0x6B0A, 0x6743}, /* 權→权 */
    {0x6B78, 0x5F52}, /* 歸→归 */
    {0x6C7A, 0x51B3}, /* 決→决 */
    {0x6C92, 0x6CA1}, /* 沒→没 */
    {0x6CC1, 0x51B5}, /* 況→况 */
    {0x6E1B, 0x51CF}, /* 減→减 */
    {0x6E96, 0x51C6}, /* 準→准 */
    {0x70BA, 0x4E3A}, /* 為→为 */
    {0x7121, 0x65E0}, /* 無→无 */
    {0x7372, 0x83B7}, /* 獲→获 */
    {0x73FE, 0x73B0}, /* 現→现 */
    {0x7522, 0x4EA7}, /* 產→产 */
    {0x756B, 0x753B}, /* 畫→画 */
    {0x7576, 0x5F53}, /* 當→当 */
    {0x767C, 0x53D1}, /* 發→发 */
    {0x76E3, 0x76D1}, /* 監→监 */
    {0x773E, 0x4F17}, /* 眾→众 */
    {0x78BA, 0x786E}, /* 確→确 */
    {0x7A05, 0x7A0E}, /* 稅→税 */
    {0x7A69, 0x7A33}, /* 穩→稳 */
    {0x7BC0, 0x8282}, /* 節→节 */
    {0x7BC4, 0x8303}, /* 範→范 */
    {0x7CFE, 0x7EA0}, /* 糾→纠 */
    {0x7D00, 0x7EAA}, /* 紀→纪 */
    {0x7D0D, 0x7EB3}, /* 納→纳 */
    {0x7D1A, 0x7EA7}, /* 級→级 */
    {0x7D44, 0x7EC4}, /* 組→组 */
    {0x7D50, 0x7ED3}, /* 結→结 */
    {0x7D71, 0x7EDF}, /* 統→统 */
    {0x7D93, 0x7ECF}, /* 經→经 */
    {0x7DAD, 0x7EF4}, /* 維→维 */
    {0x7DB2, 0x7F51}, /* 網→网 */
    {0x7E3D, 0x603B}, /* 總→总 */
    {0x7E54, 0x7EC7}, /* 織→织 */
    {0x7E73, 0x7F34}, /* 繳→缴 */
    {0x7E7C, 0x7EE7}, /* 繼→继 */
    {0x7E8C, 0x7EED}, /* 續→续 */
    {0x7F70, 0x7F5A}, /* 罰→罚 */
    {0x8207, 0x4E0E}, /* 與→与 */
    {0x8209, 0x4E3E}, /* 舉→举 */
    {0x842C, 0x4E07}, /* 萬→万 */
    {0x8655, 0x5904}, /* 處→处 */
    {0x865F, 0x53F7}, /* 號→号 */
    {0x8846, 0x4F17}, /* 衆→众 */
    {0x88DC, 0x8865}, /* 補→补 */
    {0x88FD, 0x5236}, /* 製→制 */
    {0x8907, 0x590D}, /* 複→复 */
    {0x8986, 0x590D}, /* 覆→复 */
    {0x898F, 0x89C4}, /* 規→规 */
    {0x89BD, 0x89C8}, /* 覽→览 */
    {0x8A08, 0x8BA1}, /* 計→计 */
    {0x8A0A, 0x8BAF}, /* 訊→讯 */
    {0x8A18, 0x8BB0}, /* 記→记 */
    {0x8A1F, 0x8BBC}, /* 訟→讼 */
    {0x8A2A, 0x8BBF}, /* 訪→访 */
    {0x8A2D, 0x8BBE}, /* 設→设 */
    {0x8A31, 0x8BB8}, /* 許→许 */
    {0x8A34, 0x8BC9}, /* 訴→诉 */
    {0x8A62, 0x8BE2}, /* 詢→询 */
    {0x8A8D, 0x8BA4}, /* 認→认 */
    {0x8AAA, 0x8BF4}, /* 說→说 */
    {0x8ACB, 0x8BF7}, /* 請→请 */
    {0x8B70, 0x8BAE}, /* 議→议 */
    {0x8B77, 0x62A4}, /* 護→护 */
    {0x8CA0, 0x8D1F}, /* 負→负 */
    {0x8CA8, 0x8D27}, /* 貨→货 */
    {0x8CAC, 0x8D23}, /* 責→责 */
    {0x8CBB, 0x8D39}, /* 費→费 */
    {0x8CC7, 0x8D44}, /* 資→资 */
    {0x8CFC, 0x8D2D}, /* 購→购 */
    {0x8F49, 0x8F6C}, /* 轉→转 */
    {0x8FA6, 0x529E}, /* 辦→办 */
    {0x9019, 0x8FD9}, /* 這→这 */
    {0x9031, 0x5468}, /* 週→周 */
    {0x9032, 0x8FDB}, /* 進→进 */
    {0x904E, 0x8FC7}, /* 過→过 */
    {0x905E, 0x9012}, /* 遞→递 */
    {0x9069, 0x9002}, /* 適→适 */
    {0x9078, 0x9009}, /* 選→选 */
    {0x9280, 0x94F6}, /* 銀→银 */
    {0x9304, 0x5F55}, /* 錄→录 */
    {0x9322, 0x94B1}, /* 錢→钱 */
    {0x9435, 0x94C1}, /* 鐵→铁 */
    {0x9577, 0x957F}, /* 長→长 */
    {0x9580, 0x95E8}, /* 門→门 */
    {0x958B, 0x5F00}, /* 開→开 */
    {0x9593, 0x95F4}, /* 間→间 */
    {0x95DC, 0x5173}, /* 關→关 */
    {0x95E2, 0x8F9F}, /* 闢→辟 */
    {0x96D9, 0x53CC}, /* 雙→双 */
    {0x9805, 0x9879}, /* 項→项 */
    {0x9818, 0x9886}, /* 領→领 */
    {0x984C, 0x9898}, /* 題→题 */
    {0x984D, 0x989D}, /* 額→额 */
    {0x985E, 0x7C7B}, /* 類→类 */
    {0x9AD4, 0x4F53}, /* 體→体 */
    {0x9EDE, 0x70B9}, /* 點→点 */
};

/* Wordings that differ by region rather than by character: converters
 * targeting Taiwan print 文件 as 檔案. Applied after t2s. */
static const struct {
    const char *from, *to;
} phrases[] = {
    {"规范性檔案", "规范性文件"},
    {"规范性档案", "规范性文件"},
    {"其它", "其他"},
};

static int t2s_cmp(const void *key, const void *elem)
{
    uint32_t k = *(const uint32_t *)key;
    uint32_t t = ((const struct t2s_pair *)elem)->trad;
    return k < t ? -1 : k > t;
}

/* Appends code point c as UTF-8. */
static void buf_putcp(struct buf *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c, n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F)), n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F)), n = 4;
    }
    buf_append(b, u, n);
}

/* Returns a new string: s with every occurrence of from replaced by to. */
static char *replace_all(char *s, const char *from, const char *to)
{
    if (strstr(s, from) == NULL)
        return s;
    struct buf b = {0};
    size_t fl = strlen(from);
    const char *p = s, *q;
    while ((q = strstr(p, from)) != NULL) {
        buf_append(&b, p, (size_t)(q - p));
        buf_puts(&b, to);
        p = q + fl;
    }
    buf_puts(&b, p);
    free(s);
    return b.data;
}

/* Width and spacing always; characters and wordings when chinese is set
 * (the title's agency name is kept as printed). */
static char *normalize(const char *s, size_t len, bool chinese)
{
    struct buf b = {0};
    const unsigned char *u = (const unsigned char *)s;
    buf_append(&b, "", 0); /* an empty line is an empty string, not NULL */
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t k = utf8_decode(u + i, len - i, &c);
        if (!k)
            c = 0xFFFD, k = 1; /* an invalid byte reads as U+FFFD */
        i += k;
        if (c == 0xFEFF || (c >= 0x200B && c <= 0x200D) || c == 0)
            continue; /* BOM, zero-width spaces, NUL */
        if (c >= 0xFF01 && c <= 0xFF5E)
            c -= 0xFEE0; /* full-width ASCII: （）０-９，：． */
        else if (c == 0x3000 || c == 0x00A0 || (c >= 0x2002 && c <= 0x200A))
            c = ' ';
        else if (c == 0x2212 || c == 0xFE63)
            c = '-'; /* minus signs */
        else if (c >= 0x2500 && c <= 0x257F)
            c = ' '; /* box drawing (w3m, lynx dumps: │0│): a cell's border, no character */
        else if (c == '\r')
            c = ' '; /* tabs stay: they separate the cells of a copied table */
        else if (chinese) {
            const struct t2s_pair *p = bsearch(&c, t2s, sizeof t2s / sizeof t2s[0],
                                               sizeof t2s[0], t2s_cmp);
            if (p)
                c = p->simp;
        }
        buf_putcp(&b, c);
    }
    if (chinese)
        for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
            b.data = replace_all(b.data, phrases[i].from, phrases[i].to);
    return b.data;
}

char *reportimport_normalize(const char *s, size_t len)
{
    return normalize(s, len, true);
}

/* ---- tokens ------------------------------------------------------------ */

enum tk {
    TK_WORD,  /* anything else: part of a label */
    TK_NOTE,  /* "(…)" standing alone: a label part, or a cell's annotation */
    TK_UNIT,  /* 件, 项, 万元 …: ignored beside a number */
    TK_NUM,   /* a number, perhaps with an annotation: 590(办结数) */
    TK_BLANK, /* a printed blank: -, —, /, 无 */
};

static const char *const blank_marks[] = {
    "-", "--", "---", "—", "——", "–", "/", "\\", "无", "空", "…", "……",
};
/* "万元" before "元": the longer unit is tried first. */
static const char *const units[] = {"件", "项", "个", "条", "次", "万元", "元"};

/* A number as printed, in hundredths so a money cell needs no float, and
 * as a decimal string: sign, digits without separators, every decimal. */
struct num {
    long long cents;
    bool frac;      /* printed with a decimal point */
    bool rounded;   /* had non-zero digits past the second decimal */
    bool yuan;      /* its unit is 元 (a money cell then shifts it to 万元) */
    char dec[48];   /* "-1234.567": as printed, separators dropped */
    const char *note; /* annotation inside the token, not terminated */
    size_t note_len;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool in_list(const char *t, size_t tl, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == tl && memcmp(t, list[i], tl) == 0)
            return true;
    return false;
}

/* Skips a unit at *p, if any. */
static bool skip_unit(const char **p)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t ul = strlen(units[i]);
        if (strncmp(*p, units[i], ul) == 0) {
            *p += ul;
            return true;
        }
    }
    return false;
}

/* [+-]digits[,ddd…][.digits][unit][(note)][unit] */
static bool parse_num(const char *t, struct num *out)
{
    const char *p = t;
    int sign = 1, ndig = 0;
    long long whole = 0;

    size_t dl = 0;
    memset(out, 0, sizeof *out);
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (sign < 0)
        out->dec[dl++] = '-';
    for (;;) {
        if (is_digit(*p)) {
            if (++ndig > 12)
                return false; /* a trillion is no count; keeps fen in int64 */
            out->dec[dl++] = *p;
            whole = whole * 10 + (*p++ - '0');
        } else if (*p == ',' && ndig > 0 && is_digit(p[1]) && is_digit(p[2]) &&
                   is_digit(p[3]) && !is_digit(p[4])) {
            p++; /* thousands separator */
        } else {
            break;
        }
    }
    if (ndig == 0)
        return false;
    long long cents = whole * 100;
    if (*p == '.' && is_digit(p[1])) {
        out->frac = true;
        p++;
        out->dec[dl++] = '.';
        for (int i = 0; is_digit(*p); i++, p++) {
            if (dl + 1 < sizeof out->dec)
                out->dec[dl++] = *p;
            else
                return false; /* more decimals than any amount has */
            if (i == 0)
                cents += 10 * (*p - '0');
            else if (i == 1)
                cents += *p - '0';
            else if (*p != '0')
                out->rounded = true;
            if (i == 2 && *p >= '5')
                cents++; /* half up on the third decimal */
        }
    }
    const char *unit = p;
    if (skip_unit(&p))
        out->yuan = (size_t)(p - unit) == strlen("元") && memcmp(unit, "元", strlen("元")) == 0;
    if (*p == '(') {
        const char *close = strrchr(p, ')'); /* notes may nest parentheses */
        if (close == NULL)
            return false;
        out->note = p + 1;
        out->note_len = (size_t)(close - p - 1);
        p = close + 1;
        unit = p;
        if (skip_unit(&p))
            out->yuan = (size_t)(p - unit) == strlen("元") && memcmp(unit, "元", strlen("元")) == 0;
    }
    if (*p != '\0')
        return false;
    out->cents = sign * cents;
    return true;
}

static enum tk classify(const char *t, struct num *n)
{
    struct num scratch;
    size_t tl = strlen(t);
    if (tl == 0)
        return TK_BLANK; /* an empty field between tabs */
    if (parse_num(t, n ? n : &scratch))
        return TK_NUM;
    if (in_list(t, tl, blank_marks, sizeof blank_marks / sizeof blank_marks[0]))
        return TK_BLANK;
    if (in_list(t, tl, units, sizeof units / sizeof units[0]))
        return TK_UNIT;
    if (tl >= 2 && t[0] == '(' && t[tl - 1] == ')' && strchr(t + 1, '(') == NULL)
        return TK_NOTE;
    return TK_WORD;
}

static bool is_cell(enum tk k)
{
    return k == TK_NUM || k == TK_BLANK;
}

/* ---- the text as lines ------------------------------------------------- */

struct line {
    int no;           /* 1-based */
    char *raw;        /* width-normalised, characters as printed, trimmed */
    char *text;       /* fully normalised, trimmed */
    char *store;      /* text with separators as NULs: the tokens live here */
    char **tok;
    size_t ntok;
    char *label;      /* the tokens before the first cell, concatenated */
    size_t first_cell; /* index of the first number or blank mark, or ntok */
};

struct doc {
    struct line *lines;
    size_t n;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static char *trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n > 0 && is_space(s[n - 1]))
        s[--n] = '\0';
    while (is_space(s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
    return s;
}

static bool is_sep(char c)
{
    /* '|' so that a Markdown table reads as whitespace-separated rows */
    return c == ' ' || c == '|';
}

/* A Markdown table's rule line, |---|:---|, which holds no cells. */
static bool is_table_rule(const char *t)
{
    if (strchr(t, '|') == NULL)
        return false;
    return t[strspn(t, "|-: \t")] == '\0';
}

/* Splits s at runs of separators into toks (which point into s). */
static void split_words(char *s, char **toks, size_t *n)
{
    for (char *p = s; *p;) {
        while (is_sep(*p))
            *p++ = '\0';
        if (*p == '\0')
            break;
        toks[(*n)++] = p;
        while (*p && !is_sep(*p))
            p++;
    }
}

/* Tokenises norm, the line before trimming. A table copied from a browser
 * separates cells by single tabs, so there an empty field is a blank cell
 * (except before the first field with text: a table's empty corner);
 * elsewhere any run of spaces is one separator. */
static void split_line(struct line *l, const char *norm)
{
    size_t len = strlen(norm);
    l->store = xstrdup(is_table_rule(norm) ? "" : norm);
    l->tok = xmalloc((len + 2) * sizeof *l->tok);
    l->ntok = 0;
    if (strchr(l->store, '\t') == NULL) {
        split_words(l->store, l->tok, &l->ntok);
    } else {
        char *field = l->store;
        for (bool last = false; !last;) {
            char *tab = strchr(field, '\t');
            last = tab == NULL;
            if (tab)
                *tab = '\0';
            size_t before = l->ntok;
            split_words(field, l->tok, &l->ntok);
            if (l->ntok == before && before > 0)
                l->tok[l->ntok++] = tab ? tab : field + strlen(field); /* "" */
            if (tab)
                field = tab + 1;
        }
    }

    /* The cells start at the first number or blank mark, taking in the
     * empty fields just before it; a line with no such token but empty
     * fields after its words has blank cells only. */
    size_t first = l->ntok;
    for (size_t i = 0; i < l->ntok; i++) {
        if (l->tok[i][0] != '\0' && is_cell(classify(l->tok[i], NULL))) {
            first = i;
            break;
        }
    }
    while (first > 0 && l->tok[first - 1][0] == '\0')
        first--;
    l->first_cell = first;
    struct buf b = {0};
    buf_append(&b, "", 0);
    for (size_t i = 0; i < first; i++)
        buf_puts(&b, l->tok[i]);
    l->label = b.data;
}

static void doc_load(struct doc *d, const char *text, size_t len)
{
    size_t cap = 16;
    d->lines = xmalloc(cap * sizeof *d->lines);
    d->n = 0;
    for (size_t i = 0; i <= len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (nl == NULL && i == len && d->n > 0)
            break; /* no empty last line after a final newline */
        if (d->n == cap) {
            cap *= 2;
            d->lines = xrealloc(d->lines, cap * sizeof *d->lines);
        }
        struct line *l = &d->lines[d->n];
        l->no = (int)++d->n;
        l->raw = trim(normalize(text + i, end - i, false));
        l->text = normalize(text + i, end - i, true);
        split_line(l, l->text);
        trim(l->text);
        i = end + 1;
    }
}

static void doc_free(struct doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->lines[i].raw);
        free(d->lines[i].text);
        free(d->lines[i].store);
        free(d->lines[i].tok);
        free(d->lines[i].label);
    }
    free(d->lines);
}

/* ---- the parser -------------------------------------------------------- */

#define T2019 TMPL_2019 /* formats and rows: template.h */
#define T2021 TMPL_2021


struct parser {
    struct doc d;
    json_t *notes;
    struct reportimport_error *err;
};

/* A cell as read: blank, or a number with its line and annotation. */
struct cellv {
    bool blank;
    struct num n;
    int line;
    const char *tok; /* the token as printed, for messages */
};

__attribute__((format(printf, 3, 4)))
static bool fail(struct parser *p, int line, const char *fmt, ...)
{
    /* The first problem is the one reported: later ones follow from it. */
    if (p->err->message == NULL) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        p->err->line = line;
        p->err->message = xasprintf("line %d: %s", line, msg);
    }
    return false;
}

static int line_no(const struct parser *p, size_t i)
{
    return i < p->d.n ? p->d.lines[i].no : (int)p->d.n;
}

static bool line_empty(const struct line *l)
{
    return l->ntok == 0;
}

/* True when the line begins with a number or blank mark. */
static bool starts_with_cell(const struct line *l)
{
    return l->ntok > 0 && l->first_cell == 0;
}

static bool starts_with_number(const struct line *l)
{
    return starts_with_cell(l) && classify(l->tok[0], NULL) == TK_NUM;
}

/* Short labels match at the end only: "3.其他" is a row, the column header
 * "法人或其他组织" is not, nor is prose that mentions 规章 in passing. */
static bool label_matches(const char *label, const char *pat, enum tmpl_match how)
{
    if (how == TMPL_SUB)
        return strstr(label, pat) != NULL;
    size_t ll = strlen(label), pl = strlen(pat);
    return ll >= pl && strcmp(label + ll - pl, pat) == 0;
}

/* A section heading: the number, a separator, then the keyword somewhere. */
static bool is_heading(const struct line *l, const char *num, const char *kw1,
                       const char *kw2)
{
    static const char *const seps[] = {"、", ".", ",", " ", ":"};
    const char *t = l->text;
    while (*t == '#' || *t == '*' || *t == ' ')
        t++; /* Markdown headings; text is trimmed of tabs already */
    size_t nl = strlen(num);
    if (strncmp(t, num, nl) != 0)
        return false;
    bool sep = false;
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++)
        sep = sep || strncmp(t + nl, seps[i], strlen(seps[i])) == 0;
    if (!sep)
        return false;
    return kw1 == NULL || strstr(t, kw1) || (kw2 && strstr(t, kw2));
}

static long find_heading(const struct parser *p, size_t from, const char *num,
                         const char *kw1, const char *kw2)
{
    for (size_t i = from; i < p->d.n; i++)
        if (is_heading(&p->d.lines[i], num, kw1, kw2))
            return (long)i;
    return -1;
}

static const char *const numerals[] = {"", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};

/* The headings of the three tables numbered n, n+1, n+2 (officially 2):
 * 主动公开, 申请, 复议/诉讼, in order. A site's menu may name the first
 * before the report does: the heading taken is the last one before the
 * second. Unfound ones are -1. */
static void find_sections(const struct parser *p, int n, long *s2, long *s3, long *s4)
{
    *s2 = find_heading(p, 0, numerals[n], "主动公开", NULL);
    *s3 = *s2 < 0 ? -1 : find_heading(p, (size_t)*s2 + 1, numerals[n + 1], "申请", NULL);
    for (long again; *s3 >= 0 &&
                     (again = find_heading(p, (size_t)*s2 + 1, numerals[n], "主动公开", NULL)) >= 0 &&
                     again < *s3;)
        *s2 = again;
    *s4 = *s3 < 0 ? -1 : find_heading(p, (size_t)*s3 + 1, numerals[n + 2], "复议", "诉讼");
}

static bool range_contains(const struct parser *p, size_t from, size_t to,
                           const char *const *words, size_t n)
{
    for (size_t i = from; i < to; i++)
        for (size_t w = 0; w < n; w++)
            if (strstr(p->d.lines[i].text, words[w]))
                return true;
    return false;
}

/* Rows the official table does not have, passed over in [from, to): a
 * label with numbers after it on its line (a province's extra row, a
 * subtotal). Not counted, never silently: each is kept as a note. */
static void note_extra_rows(struct parser *p, size_t from, size_t to, const char *section)
{
    for (size_t i = from; i < to; i++) {
        const struct line *l = &p->d.lines[i];
        if (line_empty(l) || l->first_cell == 0 || l->first_cell >= l->ntok)
            continue;
        struct num n;
        if (classify(l->tok[l->first_cell], &n) != TK_NUM)
            continue;
        char key[48];
        snprintf(key, sizeof key, "extra_row.line_%d", l->no);
        json_object_set_new(p->notes, key,
                            json_sprintf("section %s: \"%s\" is not a row of the official table; "
                                         "not counted", section, l->text));
    }
}

/* Finds the line of the row labelled like pat in [from, end). Other labels
 * (headers, group rows, remarks) are passed over; a line that starts with a
 * number is not, since its row would be lost. Returns -1 after fail(). */
static long find_row(struct parser *p, size_t from, size_t end,
                     const char *pat, enum tmpl_match how, const char *section)
{
    for (size_t i = from; i < end; i++) {
        const struct line *l = &p->d.lines[i];
        if (line_empty(l))
            continue;
        if (starts_with_number(l)) {
            fail(p, l->no, "section %s: number \"%s\" where the row %s was expected",
                 section, l->tok[0], pat);
            return -1;
        }
        if (l->first_cell > 0 && label_matches(l->label, pat, how)) {
            note_extra_rows(p, from, i, section);
            return (long)i;
        }
    }
    fail(p, line_no(p, from), "section %s: no row %s between this line and line %d",
         section, pat, line_no(p, end > 0 ? end - 1 : 0));
    return -1;
}

/* Numbering at the front of a label: "2.", "(三)", "一、". */
static bool numbering_cp(uint32_t c)
{
    static const uint32_t cn[] = {0x4e00, 0x4e8c, 0x4e09, 0x56db, 0x4e94, /* 一二三四五 */
                                  0x516d, 0x4e03, 0x516b, 0x4e5d, 0x5341, /* 六七八九十 */
                                  0x3001};                                /* 、 */
    if (c < 128)
        return c && strchr("0123456789.(),: ", (int)c) != NULL;
    for (size_t i = 0; i < sizeof cn / sizeof cn[0]; i++)
        if (c == cn[i])
            return true;
    return false;
}

/* The code points of s after its numbering, at most cap; how many. */
static size_t label_cps(const char *s, uint32_t *cps, size_t cap)
{
    size_t n = 0, len = strlen(s), i = 0;
    bool front = true;
    while (i < len && n < cap) {
        uint32_t c;
        size_t k = utf8_decode((const unsigned char *)s + i, len - i, &c);
        i += k ? k : 1;
        if (front && numbering_cp(c))
            continue;
        front = false;
        cps[n++] = c;
    }
    return n;
}

/* How alike two labels are, 0..1: their longest common subsequence of code
 * points over the longer one, numbering left out. */
static double label_likeness(const char *a, const char *b)
{
    enum { MAXCP = 48 };
    uint32_t x[MAXCP], y[MAXCP];
    size_t nx = label_cps(a, x, MAXCP), ny = label_cps(b, y, MAXCP);
    if (!nx || !ny)
        return 0;
    unsigned short prev[MAXCP + 1] = {0}, cur[MAXCP + 1] = {0};
    for (size_t i = 1; i <= nx; i++) {
        for (size_t j = 1; j <= ny; j++)
            cur[j] = x[i - 1] == y[j - 1] ? prev[j - 1] + 1 : cur[j - 1] > prev[j] ? cur[j - 1] : prev[j];
        memcpy(prev, cur, sizeof prev);
    }
    return (double)prev[ny] / (double)(nx > ny ? nx : ny);
}

/* The first line in [from, end) that carries a row: a label, then numbers
 * on its line or the next. -1 when none. */
static long next_data_row(const struct parser *p, size_t from, size_t end)
{
    for (size_t i = from; i < end; i++) {
        const struct line *l = &p->d.lines[i];
        if (line_empty(l) || l->first_cell == 0)
            continue;
        if (l->first_cell < l->ntok)
            return (long)i;
        size_t k = i + 1;
        while (k < end && line_empty(&p->d.lines[k]))
            k++;
        if (k < end && starts_with_cell(&p->d.lines[k]))
            return (long)i;
    }
    return -1;
}

#define LIKENESS_MIN 0.7 /* "其他法律行政止公开" for "其他法律行政法规禁止公开" is 0.75 */

/* find_row, and when the row is not there by its words: the row the text
 * has in its place, when its label is like the official one (a typo, a
 * word left out) — taken, with a note naming the line. */
static long find_row_tolerant(struct parser *p, size_t from, size_t end, const char *pat,
                              enum tmpl_match how, const char *official, const char *section,
                              const char *path)
{
    long li = find_row(p, from, end, pat, how, section);
    if (li >= 0 || !official)
        return li;
    long cand = next_data_row(p, from, end);
    if (cand < 0 || label_likeness(p->d.lines[cand].label, official) < LIKENESS_MIN)
        return -1; /* find_row's error stands */
    reportimport_error_clear(p->err);
    const struct line *l = &p->d.lines[cand];
    char *key = xasprintf("%s.label", path);
    json_object_set_new(p->notes, key,
                        json_sprintf("line %d: \"%s\" taken as \"%s\" (not the official wording)",
                                     l->no, l->label, official));
    free(key);
    return cand;
}

/* Appends the cell tokens of line l from index i on to cells; a standalone
 * "(…)" after a number is that number's annotation. */
static bool take_cells(struct parser *p, const struct line *l, size_t i,
                       struct cellv *cells, size_t *got, size_t want,
                       const char *what)
{
    for (; i < l->ntok; i++) {
        struct num n;
        enum tk k = classify(l->tok[i], &n);
        if (k == TK_UNIT)
            continue;
        if (k == TK_NOTE && *got > 0 && !cells[*got - 1].blank &&
            cells[*got - 1].n.note == NULL) {
            cells[*got - 1].n.note = l->tok[i] + 1;
            cells[*got - 1].n.note_len = strlen(l->tok[i]) - 2;
            continue;
        }
        if (!is_cell(k))
            return fail(p, l->no, "%s: \"%s\" where a number was expected",
                        what, l->tok[i]);
        if (*got == want && l->tok[i][0] == '\0')
            continue; /* trailing empty fields of a tab-separated row */
        if (*got == want)
            return fail(p, l->no, "%s: more than %zu values", what, want);
        cells[*got] = (struct cellv){.blank = k == TK_BLANK, .n = n,
                                     .line = l->no, .tok = l->tok[i]};
        (*got)++;
    }
    return true;
}

/* A row's cells after its label must not be followed by more numbers. */
static bool check_no_more(struct parser *p, size_t next, size_t end,
                          const char *what, size_t want)
{
    for (size_t i = next; i < end; i++) {
        const struct line *l = &p->d.lines[i];
        if (line_empty(l))
            continue;
        if (starts_with_cell(l))
            return fail(p, l->no, "%s: more than %zu values", what, want);
        break;
    }
    return true;
}

/* A token of more than 12 digits (separators and decimals aside): no count,
 * and parse_num refuses it, so it would otherwise be taken as a word of the
 * label and the row would merely look short. NULL when there is none. */
static const char *overlong_number(const struct line *l)
{
    for (size_t i = 0; i < l->ntok; i++) {
        const char *t = l->tok[i];
        size_t digits = 0, other = 0;
        for (const char *c = t; *c && *c != '.'; c++) {
            if (is_digit(*c))
                digits++;
            else if (*c != ',')
                other++;
        }
        if (digits > 12 && other == 0)
            return t;
    }
    return NULL;
}

/* Reads the want cells of the row labelled on line li: from the rest of
 * that line, or one per following line. Returns the next line, -1 on error. */
static long read_row(struct parser *p, size_t li, size_t end, size_t want,
                     struct cellv *cells, const char *what)
{
    const struct line *l = &p->d.lines[li];
    size_t got = 0;
    const char *big = overlong_number(l);
    if (big) {
        fail(p, l->no, "%s: \"%s\" is a number of more than 12 digits, not a count", what, big);
        return -1;
    }

    if (l->first_cell < l->ntok) {
        if (!take_cells(p, l, l->first_cell, cells, &got, want, what))
            return -1;
        if (got < want) {
            fail(p, l->no, "%s: %zu values, expected %zu", what, got, want);
            return -1;
        }
        return check_no_more(p, li + 1, end, what, want) ? (long)li + 1 : -1;
    }
    size_t i = li + 1;
    for (; got < want; i++) {
        if (i >= end) {
            fail(p, l->no, "%s: %zu values before the section ends, expected %zu",
                 what, got, want);
            return -1;
        }
        const struct line *c = &p->d.lines[i];
        if (line_empty(c)) {
            cells[got++] = (struct cellv){.blank = true, .line = c->no, .tok = ""};
        } else if (starts_with_cell(c)) {
            if (!take_cells(p, c, 0, cells, &got, want, what))
                return -1;
        } else if (got == 0) {
            continue; /* the label wrapped onto this line */
        } else if (classify(c->tok[0], NULL) == TK_NOTE && c->ntok == 1 &&
                   !cells[got - 1].blank && cells[got - 1].n.note == NULL) {
            cells[got - 1].n.note = c->tok[0] + 1;
            cells[got - 1].n.note_len = strlen(c->tok[0]) - 2;
        } else {
            fail(p, c->no, "%s: \"%s\" where value %zu of %zu was expected", what,
                 c->text, got + 1, want);
            return -1;
        }
    }
    return check_no_more(p, i, end, what, want) ? (long)i : -1;
}

/* A decimal string of 元 as 万元: the point moved four places left, no
 * float ("75394432.52" → "7539.443252", "251000" → "25.1"). */
static void yuan_to_wan(const char *dec, char *out, size_t cap)
{
    char digits[64];
    size_t n = 0, point = 0;
    int neg = *dec == '-';
    const char *q = dec + neg;
    bool seen = false;
    for (; *q && n + 1 < sizeof digits; q++) {
        if (*q == '.') {
            seen = true;
            continue;
        }
        digits[n++] = *q;
        if (!seen)
            point++;
    }
    digits[n] = '\0';
    /* value = digits × 10^(point − n); in 万元 the point is 4 places left. */
    long ip = (long)point - 4; /* digits before the new point */
    char buf[96];
    size_t b = 0;
    if (neg)
        buf[b++] = '-';
    if (ip <= 0) {
        buf[b++] = '0';
        buf[b++] = '.';
        for (long k = 0; k < -ip; k++)
            buf[b++] = '0';
        for (size_t k = 0; k < n; k++)
            buf[b++] = digits[k];
    } else {
        for (long k = 0; k < ip; k++)
            buf[b++] = k < (long)n ? digits[k] : '0';
        buf[b++] = '.';
        for (size_t k = (size_t)ip; k < n; k++)
            buf[b++] = digits[k];
    }
    buf[b] = '\0';
    /* Trailing zeros of the fraction and a bare point go; leading zeros of
     * the whole part too (one stays). */
    char *dot = strchr(buf, '.');
    if (dot) {
        char *e = buf + strlen(buf);
        while (e > dot + 1 && e[-1] == '0')
            *--e = '\0';
        if (e == dot + 1)
            *dot = '\0';
    }
    char *w = buf + (buf[0] == '-');
    while (w[0] == '0' && w[1] >= '0' && w[1] <= '9')
        memmove(w, w + 1, strlen(w));
    snprintf(out, cap, "%s", buf);
}

/* The cell's JSON value; its annotation goes to notes under path. */
static json_t *cell_json(struct parser *p, const struct cellv *c, bool money,
                         const char *sec, const char *row, const char *col,
                         bool *ok)
{
    char *path = xasprintf("%s.%s.%s", sec, row, col);
    json_t *v;

    if (c->blank) {
        v = json_null();
    } else if (money) {
        /* The amount as printed, every decimal kept; in 元 (the unit in the
         * cell), shifted four places to 万元 exactly, and noted. */
        char s[64];
        if (c->n.yuan) {
            yuan_to_wan(c->n.dec, s, sizeof s);
            if (c->n.note == NULL)
                json_object_set_new(p->notes, path, json_sprintf("printed %s", c->tok));
        } else {
            snprintf(s, sizeof s, "%s", c->n.dec);
        }
        v = json_string(s);
    } else if (c->n.cents % 100 != 0) {
        *ok = fail(p, c->line, "%s: \"%s\" is not a whole number", path, c->tok);
        free(path);
        return NULL;
    } else {
        v = json_integer(c->n.cents / 100);
    }
    if (!c->blank && c->n.note != NULL) {
        json_t *s = json_stringn(c->n.note, c->n.note_len);
        if (s)
            json_object_set_new(p->notes, path, s);
    }
    free(path);
    return v;
}

/* ---- section 二 --------------------------------------------------------- */

static const char *const markers_2021_ad[] = {"制发件数", "废止件数", "现行有效件数",
                                              "收费金额"};
static const char *const markers_2019_ad[] = {"新制作数量", "新公开数量", "对外公开总数量",
                                              "上一年项目数量"};

static json_t *parse_active(struct parser *p, size_t from, size_t end,
                            unsigned *form)
{
    if (range_contains(p, from, end, markers_2021_ad, 4)) {
        *form = T2021;
    } else if (range_contains(p, from, end, markers_2019_ad, 4)) {
        *form = T2019;
    } else {
        fail(p, line_no(p, from > 0 ? from - 1 : 0),
             "section 二: neither the 2019 columns (本年新制作数量 …) nor the 2021 "
             "ones (本年制发件数 …) found");
        return NULL;
    }
    json_t *ad = json_object();
    size_t at = from;
    for (size_t r = 0; r < TMPL_AD_ROWS; r++) {
        const struct tmpl_ad_row *d = &tmpl_ad_rows[r];
        if (!(d->form & *form))
            continue;
        const struct tmpl_ad_col *cols[TMPL_AD_COLS];
        size_t ncols = 0;
        for (int c = 0; c < TMPL_AD_COLS && d->cols[c].key; c++)
            if (d->cols[c].form & *form)
                cols[ncols++] = &d->cols[c];
        struct cellv cells[TMPL_AD_COLS];
        char path[96];
        snprintf(path, sizeof path, "active_disclosure.%s", d->key);
        long li = find_row_tolerant(p, at, end, d->match, d->how, d->label[*form == T2021 ? 1 : 0], "二",
                                    path);
        if (li < 0)
            goto bad;
        long next = read_row(p, (size_t)li, end, ncols, cells, d->match);
        if (next < 0)
            goto bad;
        /* An amount column headed in 元 (采购总金额(元), (单位：元)) rather than 万元:
         * its amounts are in 元 whatever the cells say, never read as 万元. */
        bool head_yuan = false;
        for (size_t k = at; k < (size_t)li; k++) {
            const char *t = p->d.lines[k].text;
            if (strstr(t, "金额") && strstr(t, "元)") && !strstr(t, "万元")) /* (元), (单位:元) */
                head_yuan = true;
        }
        for (size_t c = 0; head_yuan && c < ncols; c++)
            if (cols[c]->money && !cells[c].blank)
                cells[c].n.yuan = true;
        at = (size_t)next;
        json_t *row = json_object();
        json_object_set_new(ad, d->key, row);
        for (size_t c = 0; c < ncols; c++) {
            bool ok = true;
            json_t *v = cell_json(p, &cells[c], cols[c]->money, "active_disclosure", d->key,
                                  cols[c]->key, &ok);
            if (!ok)
                goto bad;
            json_object_set_new(row, cols[c]->key, v);
        }
    }
    return ad;
bad:
    json_decref(ad);
    return NULL;
}

/* ---- section 三 --------------------------------------------------------- */

static const char *const markers_2021_apps[] = {"逾期不补正", "缴纳费用"};

static json_t *parse_applications(struct parser *p, size_t from, size_t end,
                                  unsigned *form)
{
    *form = range_contains(p, from, end, markers_2021_apps, 2) ? T2021 : T2019;
    json_t *apps = json_object();
    json_t *cols = json_array();
    json_t *rows = json_array();
    json_object_set_new(apps, "columns", cols);
    json_object_set_new(apps, "rows", rows);
    for (size_t c = 0; c < 7; c++)
        json_array_append_new(cols, json_string(tmpl_app_columns[c].key));

    size_t at = from;
    for (size_t r = 0; r < TMPL_APP_ROWS; r++) {
        const struct tmpl_app_row *d = &tmpl_app_rows[r];
        if (!(d->form & *form))
            continue;
        struct cellv cells[7];
        char path[96];
        snprintf(path, sizeof path, "applications.%s", d->key);
        long li = find_row_tolerant(p, at, end, d->match, d->how, d->label, "三", path);
        if (li < 0)
            goto bad;
        long next = read_row(p, (size_t)li, end, TMPL_APP_COLS, cells, d->match);
        if (next < 0)
            goto bad;
        at = (size_t)next;
        json_t *row = json_object();
        json_t *vals = json_array();
        json_array_append_new(rows, row);
        json_object_set_new(row, "key", json_string(d->key));
        json_t *label = json_string(p->d.lines[li].label);
        if (label)
            json_object_set_new(row, "label", label);
        json_object_set_new(row, "values", vals);
        for (size_t c = 0; c < 7; c++) {
            bool ok = true;
            json_t *v = cell_json(p, &cells[c], false, "applications",
                                  d->key, tmpl_app_columns[c].key, &ok);
            if (!ok)
                goto bad;
            json_array_append_new(vals, v);
        }
    }
    return apps;
bad:
    json_decref(apps);
    return NULL;
}

/* ---- section 四 --------------------------------------------------------- */

/* The official table: one header block, then one data row of 15 cells
 * (review, direct suit, suit after review; five columns each). */
static bool read_reviews_row(struct parser *p, size_t from, size_t end,
                             struct cellv *cells)
{
    size_t got = 0, i = from;
    const char *what = "section 四";

    while (i < end && !starts_with_cell(&p->d.lines[i]))
        i++;
    if (i == end)
        return fail(p, line_no(p, from > 0 ? from - 1 : 0), "section 四: no values found");
    if (p->d.lines[i].ntok > 1) {
        /* whitespace-separated: the 15 cells on one line or a few */
        for (; got < 15 && i < end; i++) {
            const struct line *l = &p->d.lines[i];
            if (line_empty(l))
                continue;
            if (!starts_with_cell(l))
                break;
            if (!take_cells(p, l, 0, cells, &got, 15, what))
                return false;
        }
    } else {
        /* one cell per line: empty lines just above the first value are
         * blank cells too, as are empty lines among the values */
        size_t first = i;
        while (first > from && line_empty(&p->d.lines[first - 1]))
            first--;
        for (size_t k = first; k < i && got < 15; k++)
            cells[got++] = (struct cellv){.blank = true, .line = p->d.lines[k].no,
                                          .tok = ""};
        for (; got < 15 && i < end; i++) {
            const struct line *l = &p->d.lines[i];
            if (line_empty(l)) {
                cells[got++] = (struct cellv){.blank = true, .line = l->no, .tok = ""};
                continue;
            }
            if (!starts_with_cell(l))
                break;
            if (!take_cells(p, l, 0, cells, &got, 15, what))
                return false;
        }
    }
    if (got < 15)
        return fail(p, line_no(p, i), "section 四: %zu values, expected 15", got);
    return check_no_more(p, i, end, what, 15);
}

/* Some reports (and `gongkai report --format text`) print the table
 * transposed, a labelled row of five per kind of case. Told apart by what
 * follows the 未经复议直接起诉 label: numbers, or the next header. */
static bool reviews_by_kind(const struct parser *p, size_t from, size_t end)
{
    for (size_t i = from; i < end; i++) {
        const struct line *l = &p->d.lines[i];
        if (l->first_cell == 0 || !label_matches(l->label, tmpl_rl_rows[1].match, TMPL_SUB))
            continue;
        if (l->first_cell < l->ntok)
            return true;
        for (size_t j = i + 1; j < end; j++)
            if (!line_empty(&p->d.lines[j]))
                return starts_with_cell(&p->d.lines[j]);
        return false;
    }
    return false;
}

static bool read_reviews_by_kind(struct parser *p, size_t from, size_t end,
                                 struct cellv *cells)
{
    size_t at = from;
    for (size_t r = 0; r < 3; r++) {
        long li = find_row(p, at, end, tmpl_rl_rows[r].match, tmpl_rl_rows[r].how, "四");
        if (li < 0)
            return false;
        long next = read_row(p, (size_t)li, end, 5, cells + 5 * r, tmpl_rl_rows[r].match);
        if (next < 0)
            return false;
        at = (size_t)next;
    }
    return true;
}

static json_t *parse_reviews(struct parser *p, size_t from, size_t end,
                             const char *case_rule)
{
    struct cellv cells[15];
    if (!(reviews_by_kind(p, from, end) ? read_reviews_by_kind(p, from, end, cells)
                                        : read_reviews_row(p, from, end, cells)))
        return NULL;

    json_t *rl = json_object();
    json_t *cols = json_array();
    json_object_set_new(rl, "columns", cols);
    for (size_t c = 0; c < 5; c++)
        json_array_append_new(cols, json_string(tmpl_rl_columns[c].key));
    for (size_t r = 0; r < 3; r++) {
        json_t *vals = json_array();
        json_object_set_new(rl, tmpl_rl_rows[r].key, vals);
        for (size_t c = 0; c < 5; c++) {
            bool ok = true;
            json_t *v = cell_json(p, &cells[r * 5 + c], false,
                                  "reviews_litigation", tmpl_rl_rows[r].key, tmpl_rl_columns[c].key,
                                  &ok);
            if (!ok) {
                json_decref(rl);
                return NULL;
            }
            json_array_append_new(vals, v);
        }
    }
    json_object_set_new(rl, "case_rule", json_string(case_rule));
    return rl;
}

/* ---- title ------------------------------------------------------------- */

/* Finds a year "2019年" or "二〇一九年" in s; returns its value (0 when none)
 * and where it starts and ends (after 年). */
static int find_year(const char *s, const char **start, const char **after)
{
    static const char *const cjk[] = {"〇", "一", "二", "三", "四", "五", "六", "七",
                                      "八", "九"};
    for (const char *y = strstr(s, "年"); y; y = strstr(y + 1, "年")) {
        if (y - s >= 4 && is_digit(y[-4]) && is_digit(y[-3]) && is_digit(y[-2]) &&
            is_digit(y[-1]) && (y - s == 4 || !is_digit(y[-5]))) {
            int v = atoi(y - 4);
            if (v >= 1990 && v <= 2100) {
                *start = y - 4, *after = y + 3;
                return v;
            }
        }
        /* four CJK numerals of three bytes each; 零 also serves as zero */
        if (y - s >= 12) {
            int v = 0;
            for (int k = 4; k >= 1; k--) {
                const char *ch = y - 3 * k;
                int d = -1;
                for (int n = 0; n < 10; n++)
                    if (strncmp(ch, cjk[n], 3) == 0)
                        d = n;
                if (strncmp(ch, "零", 3) == 0)
                    d = 0;
                if (d < 0) {
                    v = -1;
                    break;
                }
                v = v * 10 + d;
            }
            if (v >= 1990 && v <= 2100) {
                *start = y - 12, *after = y + 3;
                return v;
            }
        }
    }
    return 0;
}

/* s[0..) with every ASCII space dropped ("2023 年" → "2023年"): a title's
 * spaces are layout, not meaning. A new string. */
static char *unspaced(const char *a, const char *b, const char *c)
{
    char *j = xasprintf("%s%s%s", a, b ? b : "", c ? c : "");
    char *o = j;
    for (const char *q = j; *q; q++)
        if (*q != ' ')
            *o++ = *q;
    *o = '\0';
    return j;
}

/* Year and name from a title candidate (text normalised, raw as printed). */
static bool title_from(const char *text, const char *raw, int *year, char **name)
{
    const char *ys, *ya;
    if (strstr(text, "年度报告") == NULL || find_year(text, &ys, &ya) == 0)
        return false;
    *year = find_year(text, &ys, &ya);
    /* The name as printed: what precedes the year, or else what follows
     * it up to 政府信息公开/公開. */
    if (find_year(raw, &ys, &ya) == 0)
        return true;
    char *n = xstrndup(raw, (size_t)(ys - raw));
    if (trim(n)[0] == '\0') {
        free(n);
        const char *e = strstr(ya, "政府信息公");
        n = xstrndup(ya, e ? (size_t)(e - ya) : 0);
    }
    if (trim(n)[0] != '\0')
        *name = n;
    else
        free(n);
    return true;
}

/* Year and agency name from the title: the first line before section 二 that
 * names an annual report (年度报告) and a year, spaces aside ("2023 年");
 * failing that, a title wrapped over two or three lines ("…政府信息公开工" /
 * "作年度报告"), joined. */
static bool parse_title(struct parser *p, size_t end, int *year, char **name)
{
    *name = NULL;
    for (size_t join = 1; join <= 3; join++) {
        for (size_t i = 0; i + join <= end; i++) {
            const struct line *l = p->d.lines + i;
            char *text = unspaced(l[0].text, join > 1 ? l[1].text : NULL, join > 2 ? l[2].text : NULL);
            char *raw = unspaced(l[0].raw, join > 1 ? l[1].raw : NULL, join > 2 ? l[2].raw : NULL);
            /* A joined candidate must need every line: the last one finishes it. */
            bool ok = (join == 1 || strstr(l[join - 1].text, "报告") != NULL) &&
                      title_from(text, raw, year, name);
            free(text);
            free(raw);
            if (ok)
                return true;
        }
    }
    return fail(p, 1, "no year in the title (a line naming the 年度报告 and a year "
                      "such as 2019年); give --year");
}

/* ---- entry points ------------------------------------------------------ */

void reportimport_error_clear(struct reportimport_error *err)
{
    if (err) {
        free(err->message);
        err->message = NULL;
        err->line = 0;
    }
}

static json_t *parse_text(const char *text, size_t len, const struct reportimport_options *opt,
                          struct reportimport_error *err);

/* A browser's copy (innerText) of a table whose cells hold <p>s and <br>s,
 * put back as a row a line: a tab and the blank lines around it are one
 * cell separator; blank lines separate rows and blocks; inside a block that
 * holds a tab (a table row) the lines are one row, joined. A new string, or
 * NULL when the text holds no tab. */
static char *browser_cells(const char *text, size_t len, size_t *out_len)
{
    if (!memchr(text, '\t', len))
        return NULL;
    /* 1. Each tab with the newlines and spaces around it → one tab. */
    struct buf a = {0};
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\t') {
            while (a.len && (a.data[a.len - 1] == '\n' || a.data[a.len - 1] == ' ' || a.data[a.len - 1] == '\r'))
                a.len--;
            buf_putc(&a, '\t');
            while (i + 1 < len && (text[i + 1] == '\n' || text[i + 1] == ' ' || text[i + 1] == '\r' ||
                                   text[i + 1] == '\t'))
                i++;
            continue;
        }
        buf_putc(&a, text[i]);
    }
    /* 2. Blocks between blank lines; a block with a tab is one row. */
    struct buf out = {0};
    size_t i = 0;
    while (i < a.len) {
        size_t e = i;
        /* a block ends at a blank line (two newlines, spaces between allowed) */
        for (;;) {
            const char *nl = e < a.len ? memchr(a.data + e, '\n', a.len - e) : NULL;
            if (!nl) {
                e = a.len;
                break;
            }
            size_t k = (size_t)(nl - a.data) + 1;
            while (k < a.len && (a.data[k] == ' ' || a.data[k] == '\r'))
                k++;
            if (k >= a.len || a.data[k] == '\n') {
                e = (size_t)(nl - a.data);
                break;
            }
            e = k;
        }
        bool row = memchr(a.data + i, '\t', e - i) != NULL;
        for (size_t k = i; k < e; k++) {
            if (a.data[k] == '\n' && row)
                continue; /* a break inside a cell */
            buf_putc(&out, a.data[k]);
        }
        buf_putc(&out, '\n');
        i = e;
        while (i < a.len && (a.data[i] == '\n' || a.data[i] == ' ' || a.data[i] == '\r'))
            i++;
    }
    buf_free(&a);
    buf_putc(&out, '\0');
    *out_len = out.len - 1;
    return out.data;
}

/* A line of at least two tokens, all numbers or blank marks. */
static bool numbers_only(const char *s, size_t n)
{
    size_t toks = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n)
            break;
        size_t j = i;
        while (j < n && s[j] != ' ' && s[j] != '\t')
            j++;
        for (size_t k = i; k < j; k++)
            if (!((s[k] >= '0' && s[k] <= '9') || s[k] == '.' || s[k] == ',' || s[k] == '-'))
                return false;
        toks++;
        i = j;
    }
    return toks >= 2;
}

/* A fragment of a wrapped label: one token, not a number. (Row labels of
 * section 三 start 一、 二、 四、 like headings; a heading is followed by
 * text, not by a line of numbers, so it is not joined.) */
static bool fragment(const char *s, size_t n)
{
    if (n == 0 || memchr(s, ' ', n) || memchr(s, '\t', n))
        return false;
    size_t digits = 0;
    for (size_t k = 0; k < n; k++)
        digits += (s[k] >= '0' && s[k] <= '9') || s[k] == '.' || s[k] == ',';
    return digits < n;
}

/* A line that opens a row or group: 1. / (一) / （一） / 一、 … */
static bool enumerated(const char *s, size_t n)
{
    if (n == 0)
        return false;
    if ((s[0] >= '0' && s[0] <= '9') || s[0] == '(')
        return true;
    static const char *const opens[] = {"（", "一、", "二、", "三、", "四、", "五、", "六、", "七、"};
    for (size_t k = 0; k < sizeof opens / sizeof opens[0]; k++)
        if (n >= strlen(opens[k]) && memcmp(s, opens[k], strlen(opens[k])) == 0)
            return true;
    return false;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    return n >= pl && memcmp(s, prefix, pl) == 0;
}

/* The lines of text (no terminator, trailing spaces and \r cut; with
 * indent, leading blanks and \f — a page begins — cut too) into new arrays
 * *ls / *ln (the caller frees both); returns how many. */
static size_t text_lines(const char *text, size_t len, bool indent, const char ***ls, size_t **ln)
{
    size_t nl = 0, n = 0;
    for (size_t i = 0; i < len; i++)
        nl += text[i] == '\n';
    *ls = xcalloc(nl + 2, sizeof **ls);
    *ln = xcalloc(nl + 2, sizeof **ln);
    for (size_t i = 0; i <= len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        size_t e = j, b = i;
        while (e > i && (text[e - 1] == '\r' || text[e - 1] == ' '))
            e--;
        while (indent && b < e && (text[b] == ' ' || text[b] == '\t' || text[b] == '\f'))
            b++;
        (*ls)[n] = text + b, (*ln)[n++] = e - b;
        if (j >= len)
            break;
        i = j + 1;
    }
    return n;
}

/* The text with up to three label fragments before a line of numbers
 * joined onto that line ("3.危及“三安全" / "一稳定”" / "0 0 0 …" →
 * "3.危及“三安全一稳定” 0 0 0 …"), in section 三 only. A new string, or
 * NULL when nothing was joined. */
static char *join_wrapped(const char *text, size_t len, size_t *out_len)
{
    const char **ls;
    size_t *ln, n = text_lines(text, len, false, &ls, &ln);
    struct buf out = {0};
    int joined = 0, in3 = 0; /* only in section 三: 四's header runs straight into its numbers */
    for (size_t i = 0; i < n;) {
        if (starts(ls[i], ln[i], "三、") && memmem(ls[i], ln[i], "申请", strlen("申请")))
            in3 = 1;
        else if (starts(ls[i], ln[i], "四、") &&
                 (memmem(ls[i], ln[i], "复议", strlen("复议")) || memmem(ls[i], ln[i], "诉讼", strlen("诉讼"))))
            in3 = 0;
        /* The tail of a label put after its row's numbers ("4.保护第三方合 0 0 …"
         * / "法权益"): a fragment that opens no row of its own and is not the
         * start of the next row's wrapped label goes back into the label. */
        const char *sp = in3 ? memchr(ls[i], ' ', ln[i]) : NULL;
        if (sp && i + 1 < n && fragment(ls[i + 1], ln[i + 1]) && !enumerated(ls[i + 1], ln[i + 1]) &&
            !(i + 2 < n && numbers_only(ls[i + 2], ln[i + 2])) &&
            numbers_only(sp, ln[i] - (size_t)(sp - ls[i]))) {
            buf_append(&out, ls[i], (size_t)(sp - ls[i]));
            buf_append(&out, ls[i + 1], ln[i + 1]);
            buf_append(&out, sp, ln[i] - (size_t)(sp - ls[i]));
            buf_putc(&out, '\n');
            i += 2;
            joined = 1;
            continue;
        }
        size_t k = 0;
        while (in3 && k < 3 && i + k < n && fragment(ls[i + k], ln[i + k]))
            k++;
        if (k > 0 && i + k < n && numbers_only(ls[i + k], ln[i + k])) {
            for (size_t m = 0; m < k; m++)
                buf_append(&out, ls[i + m], ln[i + m]);
            buf_putc(&out, ' ');
            buf_append(&out, ls[i + k], ln[i + k]);
            buf_putc(&out, '\n');
            i += k + 1;
            joined = 1;
            continue;
        }
        buf_append(&out, ls[i], ln[i]);
        buf_putc(&out, '\n');
        i++;
    }
    free(ls);
    free(ln);
    if (!joined) {
        buf_free(&out);
        return NULL;
    }
    buf_putc(&out, '\0');
    *out_len = out.len - 1;
    return out.data;
}

/* Where a line's trailing run of numbers (and blank marks) starts, and how
 * many tokens it has: "4.保护第三方合 0   0 …" → after the label. */
static size_t numbers_tail(const char *s, size_t n, size_t *count)
{
    size_t end = n, start = n;
    *count = 0;
    for (;;) {
        while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
            end--;
        size_t b = end;
        while (b > 0 && s[b - 1] != ' ' && s[b - 1] != '\t')
            b--;
        bool num = b < end;
        for (size_t k = b; k < end && num; k++)
            num = (s[k] >= '0' && s[k] <= '9') || s[k] == '.' || s[k] == ',' || s[k] == '-';
        if (!num)
            break;
        (*count)++;
        start = b;
        end = b;
    }
    return *count ? start : n;
}

/* Text as `pdftotext -layout` writes a table (section 三 only, like
 * join_wrapped): a row's numbers on one line, its label in pieces above and
 * below them, the group column's words in between. Each piece joins the
 * numbers line nearest to it (the lower one on a tie), the pieces in their
 * order, so every row is one line again. Lines above the table's first row
 * that a blank line parts from it (the header) stay. NULL when there is no
 * such section. */
static char *layout_rows(const char *text, size_t len, size_t *out_len)
{
    const char **ls;
    size_t *ln, n = text_lines(text, len, true, &ls, &ln);
    size_t s3 = n, s4 = n;
    for (size_t i = 0; i < n; i++) {
        if (s3 == n && starts(ls[i], ln[i], "三、") && memmem(ls[i], ln[i], "申请", strlen("申请")))
            s3 = i;
        else if (s3 < n && starts(ls[i], ln[i], "四、") &&
                 (memmem(ls[i], ln[i], "复议", strlen("复议")) || memmem(ls[i], ln[i], "诉讼", strlen("诉讼")))) {
            s4 = i;
            break;
        }
    }
    char *out = NULL;
    size_t *owner = NULL, *tail = NULL;
    if (s3 == n || s4 == n)
        goto done;
    /* The numbers lines, and which one each other line of the section joins. */
    owner = xcalloc(n, sizeof *owner), tail = xcalloc(n, sizeof *tail);
    size_t first = n, rows = 0;
    for (size_t i = s3 + 1; i < s4; i++) {
        size_t cnt;
        tail[i] = numbers_tail(ls[i], ln[i], &cnt);
        owner[i] = cnt >= 3 ? i : n;
        /* A line ending in one or two numbers is no piece of a label: it
         * stays as it is (and the reading fails on it as it should). */
        if (cnt > 0 && cnt < 3)
            tail[i] = SIZE_MAX;
        if (cnt >= 3) {
            rows++;
            if (first == n)
                first = i;
        }
    }
    if (rows < 3)
        goto done;
    for (size_t i = s3 + 1; i < s4; i++) {
        if (owner[i] == i || ln[i] == 0 || tail[i] == SIZE_MAX)
            continue;
        if (i < first) {
            size_t k = i;
            while (k < first && ln[k] > 0)
                k++;
            owner[i] = k == first ? first : n; /* the header stays */
            continue;
        }
        size_t a = i, b = i;
        while (a > s3 && owner[a] != a)
            a--;
        while (b < s4 && (b == i || owner[b] != b))
            b++;
        owner[i] = b < s4 && (b - i <= i - a) ? b : a;
    }
    struct buf o = {0};
    for (size_t i = 0; i < n; i++) {
        if (i <= s3 || i >= s4 || owner[i] == n || (owner[i] != i && ln[i] == 0)) {
            if (!(i > s3 && i < s4 && ln[i] == 0)) {
                buf_append(&o, ls[i], ln[i]);
                buf_putc(&o, '\n');
            }
            continue;
        }
        if (owner[i] != i)
            continue; /* written with its numbers line */
        for (size_t k = s3 + 1; k < s4; k++)
            if (owner[k] == i && ln[k] > 0) {
                size_t m = k == i ? tail[k] : ln[k];
                buf_append(&o, ls[k], m);
            }
        buf_putc(&o, ' ');
        buf_append(&o, ls[i] + tail[i], ln[i] - tail[i]);
        buf_putc(&o, '\n');
    }
    buf_putc(&o, '\0');
    *out_len = o.len - 1;
    out = o.data;
done:
    free(owner);
    free(tail);
    free(ls);
    free(ln);
    return out;
}

json_t *reportimport_parse(const char *text, size_t len,
                           const struct reportimport_options *opt,
                           struct reportimport_error *err)
{
    /* The page itself: read as a browser shows it (htmltext.h), then as
     * text. Line numbers in errors are then those of that text. */
    if (htmltext_is_html(text, len)) {
        size_t n;
        char *t = htmltext_to_text(text, len, &n);
        if (!t) {
            if (err) {
                err->line = 0;
                err->message = xstrdup("the HTML could not be parsed at all");
            }
            return NULL;
        }
        json_t *r = parse_text(t, n, opt, err);
        free(t);
        return r;
    }
    json_t *r = parse_text(text, len, opt, err);
    if (r)
        return r;
    /* Text extracted from a PDF (pdftotext -raw) or a narrow page wraps long
     * labels over lines, the row's numbers on a line of their own: read it
     * again with such fragments joined to their numbers. Only when the text
     * as it is cannot be read, so nothing readable is reinterpreted. */
    size_t jn;
    const char *why = "read with labels wrapped over lines joined to their numbers";
    char *joined = join_wrapped(text, len, &jn);
    if (!joined) {
        /* A browser's copy of a page whose cells hold paragraphs: each tab
         * comes with blank lines around it, a row ends with a blank line,
         * and a line break inside a cell is a plain newline. */
        joined = browser_cells(text, len, &jn);
        why = "read as a browser's copy with paragraphs inside cells";
    }
    struct reportimport_error err2 = {0};
    r = joined ? parse_text(joined, jn, opt, &err2) : NULL;
    free(joined);
    reportimport_error_clear(&err2);
    if (!r) {
        /* pdftotext -layout: labels in pieces around their numbers. */
        joined = layout_rows(text, len, &jn);
        why = "read as a page's layout (pdftotext -layout): label pieces joined to the nearest row";
        r = joined ? parse_text(joined, jn, opt, &err2) : NULL;
        free(joined);
        reportimport_error_clear(&err2);
    }
    if (!r)
        return NULL; /* the first error, about the text as given, stands */
    if (err)
        reportimport_error_clear(err);
    json_t *notes = json_object_get(r, "notes");
    if (!notes) {
        notes = json_object();
        json_object_set_new(r, "notes", notes);
    }
    json_object_set_new(notes, "text", json_string(why));
    return r;
}

static json_t *parse_text(const char *text, size_t len, const struct reportimport_options *opt,
                          struct reportimport_error *err)
{
    struct reportimport_error scratch = {0};
    struct parser p = {.err = err ? err : &scratch};
    json_t *report = NULL, *ad = NULL, *apps = NULL, *rl = NULL;
    char *name = NULL;
    unsigned ad_form = 0, app_form = 0;

    p.err->line = 0;
    p.err->message = NULL;
    doc_load(&p.d, text, len);
    p.notes = json_object();

    /* The official numbers first; then, for a report that left out or
     * merged sections, the same three headings under other numbers, in
     * order (noted). */
    static const int tries[] = {2, 1, 3, 4, 5, 6, 7, 8};
    long s2 = -1, s3 = -1, s4 = -1;
    int first = 2; /* the number of the first of the three */
    for (size_t k = 0; k < sizeof tries / sizeof tries[0] && s4 < 0; k++)
        find_sections(&p, first = tries[k], &s2, &s3, &s4);
    if (s2 < 0 || s3 < 0 || s4 < 0) {
        find_sections(&p, 2, &s2, &s3, &s4); /* for the message */
        fail(&p, (int)p.d.n,
             "end of text without the heading of section %s (%s)",
             s2 < 0 ? "二" : s3 < 0 ? "三" : "四",
             s2 < 0 ? "二、主动公开政府信息情况"
             : s3 < 0 ? "三、收到和处理政府信息公开申请情况"
                      : "四、政府信息公开行政复议、行政诉讼情况");
        goto out;
    }
    if (first != 2)
        json_object_set_new(p.notes, "headings",
                            json_sprintf("line %d: sections numbered %s, %s, %s (the official 二, 三, 四)",
                                         line_no(&p, (size_t)s2), numerals[first],
                                         numerals[first + 1], numerals[first + 2]));
    long s5 = first + 3 <= 10 ? find_heading(&p, (size_t)s4 + 1, numerals[first + 3], NULL, NULL) : -1;
    size_t end4 = s5 < 0 ? p.d.n : (size_t)s5;
    /* One report per file: a second one would otherwise be ignored. */
    long again = find_heading(&p, (size_t)s4 + 1, numerals[first], "主动公开", NULL);
    if (again >= 0) {
        fail(&p, line_no(&p, (size_t)again),
             "a second report starts here (section 二 again): give one report per file");
        goto out;
    }

    int year = opt && opt->year ? opt->year : 0;
    if (!parse_title(&p, (size_t)s2, year ? &(int){0} : &year, &name) && !year)
        goto out;
    reportimport_error_clear(p.err); /* a missing title is fine with --year */

    ad = parse_active(&p, (size_t)s2 + 1, (size_t)s3, &ad_form);
    if (ad == NULL)
        goto out;
    apps = parse_applications(&p, (size_t)s3 + 1, (size_t)s4, &app_form);
    if (apps == NULL)
        goto out;
    rl = parse_reviews(&p, (size_t)s4 + 1, end4,
                       opt && opt->case_rule ? opt->case_rule : "filed");
    if (rl == NULL)
        goto out;

    report = json_object();
    json_object_set_new(report, "agency",
                        json_string(opt && opt->agency ? opt->agency : "unknown"));
    if (name) {
        json_t *n = json_string(name);
        if (n)
            json_object_set_new(report, "name", n);
    }
    json_object_set_new(report, "year", json_integer(year));
    json_object_set_new(report, "template",
                        json_string(ad_form == T2021 || app_form == T2021 ? "2021"
                                                                          : "2019"));
    json_object_set_new(report, "active_disclosure", ad);
    json_object_set_new(report, "applications", apps);
    json_object_set_new(report, "reviews_litigation", rl);
    ad = apps = rl = NULL;
    if (json_object_size(p.notes) > 0)
        json_object_set(report, "notes", p.notes);
out:
    json_decref(ad);
    json_decref(apps);
    json_decref(rl);
    json_decref(p.notes);
    free(name);
    doc_free(&p.d);
    reportimport_error_clear(&scratch);
    return report;
}
