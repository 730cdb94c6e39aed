# embed.cmake - write IN (a text file) as a C string named NAME into OUT
# (included with IN, OUT and NAME set).  OUT is rewritten only when it
# changes, so a reconfigure does not rebuild the client.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(CONFIGURE OUTPUT "${OUT}" CONTENT
  "/* generated from ${IN} by p2v/embed.cmake: do not edit */\nconst char ${NAME}[] = {${bytes} 0x00};\n")
