/*
 * node_form_words.c -- the hub's reasons and node_check's problems in the
 * words the station's staff read (Vietnamese), for the form's answers
 * (the manual is node_form_words.h).
 *
 * Design: the form speaks to commune health staff, not to operators, so
 * it never shows a reason's name (REASON_NEGATIVE) but a sentence of
 * theirs. The sentences are a table kept in one place, apart from the
 * HTTP handlers (node_form.c), so that a wording fix or a new reason is
 * one edit; a reason the table does not know still reads as a plain
 * "rejected", never as an empty string.
 */
#include "node_form_words.h"

#include "baocao.pb-c.h"

const char *node_form_words_reason(uint32_t reason)
{
    switch ((Baocao__RejectReason) reason) {
    case BAOCAO__REJECT_REASON__REASON_UNKNOWN_UNIT:
        return "Mã đơn vị không có trong danh mục của tỉnh";
    case BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR:
        return "Có chỉ tiêu không có trong danh mục";
    case BAOCAO__REJECT_REASON__REASON_NEGATIVE:
        return "Có số liệu âm";
    case BAOCAO__REJECT_REASON__REASON_NOT_INTEGER:
        return "Có số liệu không phải số nguyên";
    case BAOCAO__REJECT_REASON__REASON_BAD_PERIOD:
        return "Kỳ báo cáo không hợp lệ";
    case BAOCAO__REJECT_REASON__REASON_FUTURE_PERIOD:
        return "Kỳ báo cáo chưa bắt đầu";
    case BAOCAO__REJECT_REASON__REASON_BAD_REVISION:
        return "Số lần sửa báo cáo không hợp lệ";
    case BAOCAO__REJECT_REASON__REASON_NOT_REPORTING:
        return "Đơn vị này không phải gửi báo cáo";
    case BAOCAO__REJECT_REASON__REASON_NOT_AUTHORIZED:
        return "Máy trạm không được phép gửi báo cáo cho đơn vị này";
    case BAOCAO__REJECT_REASON__REASON_TOO_LARGE:
    case BAOCAO__REJECT_REASON__REASON_TOO_MANY_VALUES:
        return "Báo cáo quá lớn";
    case BAOCAO__REJECT_REASON__REASON_DUPLICATE_VALUE:
        return "Một chỉ tiêu được nhập hai lần";
    case BAOCAO__REJECT_REASON__REASON_NOT_REPORTABLE:
        return "Có chỉ tiêu tính toán (tỷ lệ), không nhập trực tiếp";
    case BAOCAO__REJECT_REASON__REASON_LOCKED:
        /* Approved upstream: only an unapproval reopens it. */
        return "Kỳ báo cáo đã được phê duyệt và khóa; đề nghị tuyến trên "
               "hủy phê duyệt trước khi sửa";
    default:
        return "Bị từ chối";
    }
}

const char *node_form_words_problem(const node_problem_t *p)
{
    switch (p->reason) {
    case BAOCAO__REJECT_REASON__REASON_NOT_INTEGER:
        return "Phải là số nguyên (không có phần thập phân)";
    case BAOCAO__REJECT_REASON__REASON_NEGATIVE:
        return "Không được là số âm";
    case BAOCAO__REJECT_REASON__REASON_COUNT_TOO_LARGE:
        return "Số quá lớn (tối đa 10^12)";
    case BAOCAO__REJECT_REASON__REASON_UNKNOWN_INDICATOR:
        return "Chỉ tiêu không có trong danh mục của tỉnh";
    case BAOCAO__REJECT_REASON__REASON_UNKNOWN_COMBINATION:
        return "Ô này không có trong bảng phân tổ của tỉnh";
    case BAOCAO__REJECT_REASON__REASON_NOT_REPORTABLE:
        return "Chỉ tiêu này do hệ thống tính, không nhập";
    default:
        return node_form_words_reason(p->reason);
    }
}
