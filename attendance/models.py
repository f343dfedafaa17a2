# Member, Enrollment and AttendanceRecord arrive with the attendance issue (DESIGN.md).
