using System.Runtime.InteropServices;

namespace MmProxy.EndToEnd.Tests.Hardening.Support;

/// <summary>RLIMIT_NOFILE of the test process: scenarios holding thousands of sockets raise it first.</summary>
internal static class FdLimit
{
    private const int RlimitNoFile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, ref RLimit limit);

    public static ulong Current => GetRLimit(RlimitNoFile, out RLimit l) == 0 ? l.Current : 0;

    /// <summary>Raises the soft (and, as root, the hard) limit to at least <paramref name="needed"/>, or fails the test.</summary>
    public static void Ensure(ulong needed)
    {
        if (GetRLimit(RlimitNoFile, out RLimit limit) != 0)
        {
            Assert.Fail($"getrlimit(RLIMIT_NOFILE) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        if (limit.Current >= needed)
        {
            return;
        }
        var raised = new RLimit { Current = needed, Maximum = Math.Max(limit.Maximum, needed) };
        if (SetRLimit(RlimitNoFile, ref raised) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            Assert.Fail($"this scenario needs {needed} open files but RLIMIT_NOFILE is {limit.Current}/{limit.Maximum} and setrlimit failed " +
                $"(errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}); run under `prlimit --nofile={needed}:{needed}`");
        }
    }
}
