/* check-main.c - main() for every Check test program: runs the suite the
 * test file builds with make_suite() and fails when any test failed. */
#include <check.h>
#include <stdlib.h>

Suite *make_suite(void);

int
main(void)
{
    SRunner *sr = srunner_create(make_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
