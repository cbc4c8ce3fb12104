using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// One epoll instance plus an eventfd that other threads use to wake its loop (<see cref="Wake"/>);
/// the wake-up arrives as an event whose data is <see cref="WakeData"/>. Registration calls return 0
/// or the errno, read right after the call. Used by one loop thread; <see cref="Wake"/> is safe from
/// any thread.
/// </summary>
internal sealed unsafe class Epoll : IDisposable
{
    /// <summary>The event data reserved for wake-ups.</summary>
    public const ulong WakeData = ulong.MaxValue;

    private readonly int _wakeFd;
    private int _disposed;

    private Epoll(int fd, int wakeFd)
    {
        Fd = fd;
        _wakeFd = wakeFd;
    }

    /// <summary>The struct layout here is x86-64's (packed epoll_event).</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public int Fd { get; }

    /// <summary>Creates the epoll instance and its wake-up eventfd, or null with the errno.</summary>
    public static Epoll? TryCreate(out int errno)
    {
        int fd = EpollNativeMethods.EpollCreate1(EpollNativeMethods.EpollCloExec);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        int wake = EpollNativeMethods.EventFd(0, EpollNativeMethods.EfdCloExec | EpollNativeMethods.EfdNonBlock);
        if (wake < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            _ = DescriptorNativeMethods.Close(fd);
            return null;
        }

        var epoll = new Epoll(fd, wake);
        errno = epoll.Add(wake, EpollFlags.In, WakeData);
        if (errno != 0)
        {
            epoll.Dispose();
            return null;
        }

        return epoll;
    }

    public int Add(int fd, uint events, ulong data) => Control(EpollNativeMethods.EpollCtlAdd, fd, events, data);

    public int Modify(int fd, uint events, ulong data) => Control(EpollNativeMethods.EpollCtlMod, fd, events, data);

    public int Delete(int fd) => Control(EpollNativeMethods.EpollCtlDel, fd, 0, 0);

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever). Returns the number of events, 0 on
    /// timeout or EINTR, or -errno. Wake-up events are drained here but still reported (data
    /// <see cref="WakeData"/>) so the loop can look at its queue.
    /// </summary>
    public int Wait(Span<EpollEvent> events, int timeoutMs)
    {
        int n;
        fixed (EpollEvent* p = events)
        {
            n = EpollNativeMethods.EpollWait(Fd, p, events.Length, timeoutMs);
        }

        if (n < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Errno.EINTR ? 0 : -errno;
        }

        for (int i = 0; i < n; i++)
        {
            if (events[i].Data == WakeData)
            {
                ulong drained;
                _ = DescriptorNativeMethods.Read(_wakeFd, &drained, sizeof(ulong));
            }
        }

        return n;
    }

    /// <summary>Makes the loop's current or next <see cref="Wait"/> return. Any thread.</summary>
    public void Wake()
    {
        ulong one = 1;
        _ = DescriptorNativeMethods.Write(_wakeFd, &one, sizeof(ulong));
    }

    private int Control(int op, int fd, uint events, ulong data)
    {
        var ev = new EpollEvent { Events = events, Data = data };
        return EpollNativeMethods.EpollCtl(Fd, op, fd, &ev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ = DescriptorNativeMethods.Close(_wakeFd);
        _ = DescriptorNativeMethods.Close(Fd);
    }
}
