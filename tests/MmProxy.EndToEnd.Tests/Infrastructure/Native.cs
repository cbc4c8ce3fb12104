using System.Runtime.InteropServices;

namespace MmProxy.EndToEnd.Tests.Infrastructure;

/// <summary>The few libc calls the fixture needs to create sockets inside a network namespace.</summary>
internal static class Native
{
    internal const int CloneNewNet = 0x40000000;
    internal const int ORdOnly = 0;
    internal const int OCloExec = 0x80000;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    internal static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    internal static extern int SetNs(int fd, int nstype);

    [DllImport("libc", EntryPoint = "geteuid")]
    internal static extern uint GetEuid();
}
