namespace MmProxy.Interop;

/// <summary>
/// One epoll instance plus an eventfd that other threads use to wake its loop (<see cref="Wake"/>);
/// the wake-up arrives as an event whose data is <see cref="WakeData"/>. Registration calls return
/// the errno. Used by one loop thread; <see cref="Wake"/> is safe from any thread.
/// </summary>
internal sealed unsafe class Epoll : IDisposable
{
    /// <summary>The event data reserved for wake-ups.</summary>
    public const ulong WakeData = ulong.MaxValue;

    private const int CloseOnExec = 0x80000;
    private const int EventFdNonBlock = 0x800;
    private const int CtlAdd = 1;
    private const int CtlDel = 2;
    private const int CtlMod = 3;

    private readonly SafeDescriptor _wake;
    private int _disposed;

    private Epoll(int fd, SafeDescriptor wake)
    {
        Fd = fd;
        _wake = wake;
    }

    public int Fd { get; }

    /// <summary>Creates the epoll instance and its wake-up eventfd, or null with the errno.</summary>
    public static Epoll? TryCreate(out Errno errno)
    {
        SysResult epoll = SysResult.From(LibC.EpollCreate1(CloseOnExec));
        if (!epoll.Succeeded)
        {
            errno = epoll.Error;
            return null;
        }

        SysResult wake = SysResult.From(LibC.EventFd(0, CloseOnExec | EventFdNonBlock));
        if (!wake.Succeeded)
        {
            errno = wake.Error;
            _ = Descriptor.Close(epoll.Int);
            return null;
        }

        var instance = new Epoll(epoll.Int, new SafeDescriptor(wake.Int));
        errno = instance.Add(wake.Int, EpollFlags.In, WakeData);
        if (errno != Errno.Success)
        {
            instance.Dispose();
            return null;
        }

        return instance;
    }

    public Errno Add(int fd, uint events, ulong data) => Control(CtlAdd, fd, events, data);

    public Errno Modify(int fd, uint events, ulong data) => Control(CtlMod, fd, events, data);

    public Errno Delete(int fd) => Control(CtlDel, fd, 0, 0);

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever). Returns the number of events (0 on
    /// timeout or EINTR) or the failure. Wake-up events are drained here but still reported (data
    /// <see cref="WakeData"/>) so the loop can look at its queue.
    /// </summary>
    public SysResult Wait(EpollEvents events, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(events);
        SysResult n = SysResult.From(LibC.EpollWait(Fd, events.Pointer, events.Capacity, timeoutMs));
        if (!n.Succeeded)
        {
            return n.Error == Errno.EINTR ? SysResult.From(0) : n;
        }

        for (int i = 0; i < n.Int; i++)
        {
            if (events.DataAt(i) == WakeData)
            {
                ulong drained;
                _ = LibC.Read(_wake.Fd, &drained, sizeof(ulong));
            }
        }

        return n;
    }

    /// <summary>Makes the loop's current or next <see cref="Wait"/> return. Any thread; a no-op once disposed.</summary>
    public void Wake()
    {
        bool added = false;
        try
        {
            _wake.DangerousAddRef(ref added);
            ulong one = 1;
            _ = LibC.Write(_wake.Fd, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // The loop has ended: nothing to wake.
        }
        finally
        {
            if (added)
            {
                _wake.DangerousRelease();
            }
        }
    }

    private Errno Control(int op, int fd, uint events, ulong data)
    {
        byte* ev = stackalloc byte[16];
        EpollEvents.Write(ev, events, data);
        return LibC.EpollCtl(Fd, op, fd, ev) == 0 ? Errno.Success : LibC.LastError;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _wake.Dispose();
        _ = Descriptor.Close(Fd);
    }
}
