# ja-roff.cmake - cmake -DPAGE=FILE -P ja-roff.cmake: makes a Japanese man page break lines
# between characters (groff's ja.tmac; Japanese has no spaces) and align left, after its .TH.
file(READ ${PAGE} text)
string(REGEX REPLACE "(\n\\.TH [^\n]*\n)" "\\1.mso ja.tmac\n.ad l\n" text "${text}")
file(WRITE ${PAGE} "${text}")
